import type { DayPlan } from './day-plan.js';
import { hour } from './time.js';

/** The watch charges once a day (plan.charging) and loses 3.4 % an hour otherwise. */
export function watchBattery(today: DayPlan, yesterday: DayPlan, t: number): number {
  const drain = (since: number, until: number) => Math.max(5, 100 - (3.4 * (until - since)) / hour);
  const { start, end } = today.charging;
  if (t >= end) return Math.round(drain(end, t));
  const before = drain(yesterday.charging.end, Math.min(t, start));
  if (t < start) return Math.round(before);
  return Math.round(before + ((100 - before) * (t - start)) / (end - start));
}

/** The phone charges overnight (full two hours after bedtime) and loses 4.5 % an hour awake. */
export function phoneBattery(today: DayPlan, yesterday: DayPlan, t: number): number {
  const atBed = (plan: DayPlan) => Math.max(5, 100 - (4.5 * (plan.bed - plan.wake)) / hour);
  const charging = (bed: number, level: number) => Math.min(100, level + ((100 - level) * (t - bed)) / (2 * hour));
  if (t < today.wake) return Math.round(charging(yesterday.bed, atBed(yesterday)));
  if (t >= today.bed) return Math.round(charging(today.bed, atBed(today)));
  return Math.round(Math.max(5, 100 - (4.5 * (t - today.wake)) / hour));
}
