/**
 * NEWS2 (Royal College of Physicians, 2017) as a pure function: the sub-score of each parameter
 * present, the total of those, the parameters missing and the risk band.
 *
 * Readings are first rounded as a chart records them: respiration rate, SpO2, systolic pressure
 * and pulse to whole numbers, temperature to 0.1 °C. The bands then cover every value.
 */

/** ACVPU: Alert, new Confusion, responds to Voice, to Pain, Unresponsive. */
export type Acvpu = 'A' | 'C' | 'V' | 'P' | 'U';

export const news2Parameters = ['respirationRate', 'spo2', 'oxygen', 'systolic', 'pulse', 'consciousness', 'temperature'] as const;
export type News2Parameter = (typeof news2Parameters)[number];

export interface News2Input {
  /** Breaths per minute. */
  respirationRate?: number;
  /** Oxygen saturation, %. */
  spo2?: number;
  /** SpO2 scale 2 is for patients with clinician-documented hypercapnic respiratory failure (default 1). */
  scale?: 1 | 2;
  /** On supplemental oxygen (true) or breathing air (false). */
  oxygen?: boolean;
  /** Systolic blood pressure, mm[Hg]. */
  systolic?: number;
  /** Beats per minute. */
  pulse?: number;
  consciousness?: Acvpu;
  /** Body temperature, °C. */
  temperature?: number;
}

export type News2Risk = 'low' | 'low-medium' | 'medium' | 'high';

export interface News2Result {
  /** Sum of the sub-scores present (a lower bound when some are missing). */
  total: number;
  scores: Partial<Record<News2Parameter, number>>;
  /** The parameters without a value, in the chart's order. */
  missing: News2Parameter[];
  risk: News2Risk;
}

const whole = (x: number) => Math.round(x);
const tenth = (x: number) => Math.round(x * 10) / 10;

export function respirationRateScore(rate: number): number {
  const r = whole(rate);
  if (r <= 8) return 3;
  if (r <= 11) return 1;
  if (r <= 20) return 0;
  if (r <= 24) return 2;
  return 3;
}

export function spo2Scale1Score(spo2: number): number {
  const s = whole(spo2);
  if (s <= 91) return 3;
  if (s <= 93) return 2;
  if (s <= 95) return 1;
  return 0;
}

/** Scale 2: 88–92 % scores 0, and so does 93 % or more on air; on oxygen, 93 % or more scores up to 3. */
export function spo2Scale2Score(spo2: number, oxygen: boolean): number {
  const s = whole(spo2);
  if (s <= 83) return 3;
  if (s <= 85) return 2;
  if (s <= 87) return 1;
  if (s <= 92 || !oxygen) return 0;
  if (s <= 94) return 1;
  if (s <= 96) return 2;
  return 3;
}

export const oxygenScore = (oxygen: boolean): number => (oxygen ? 2 : 0);

export function systolicScore(systolic: number): number {
  const s = whole(systolic);
  if (s <= 90) return 3;
  if (s <= 100) return 2;
  if (s <= 110) return 1;
  if (s <= 219) return 0;
  return 3;
}

export function pulseScore(pulse: number): number {
  const p = whole(pulse);
  if (p <= 40) return 3;
  if (p <= 50) return 1;
  if (p <= 90) return 0;
  if (p <= 110) return 1;
  if (p <= 130) return 2;
  return 3;
}

export const consciousnessScore = (c: Acvpu): number => (c === 'A' ? 0 : 3);

export function temperatureScore(celsius: number): number {
  const t = tenth(celsius);
  if (t <= 35.0) return 3;
  if (t <= 36.0) return 1;
  if (t <= 38.0) return 0;
  if (t <= 39.0) return 1;
  return 2;
}

/** Low (0–4), low–medium (any single parameter scoring 3, total under 5), medium (5–6), high (7 or more). */
export function news2Risk(total: number, scores: number[]): News2Risk {
  if (total >= 7) return 'high';
  if (total >= 5) return 'medium';
  if (scores.some((s) => s === 3)) return 'low-medium';
  return 'low';
}

/**
 * Scores what is present. With scale 2 and oxygen use unknown, SpO2 is scored as on air (the
 * lower bound); the oxygen parameter is then listed as missing.
 */
export function news2(input: News2Input): News2Result {
  const scores: Partial<Record<News2Parameter, number>> = {};
  if (input.respirationRate !== undefined) scores.respirationRate = respirationRateScore(input.respirationRate);
  if (input.spo2 !== undefined) scores.spo2 = input.scale === 2 ? spo2Scale2Score(input.spo2, input.oxygen === true) : spo2Scale1Score(input.spo2);
  if (input.oxygen !== undefined) scores.oxygen = oxygenScore(input.oxygen);
  if (input.systolic !== undefined) scores.systolic = systolicScore(input.systolic);
  if (input.pulse !== undefined) scores.pulse = pulseScore(input.pulse);
  if (input.consciousness !== undefined) scores.consciousness = consciousnessScore(input.consciousness);
  if (input.temperature !== undefined) scores.temperature = temperatureScore(input.temperature);
  const present = Object.values(scores);
  const total = present.reduce((a, b) => a + b, 0);
  return { total, scores, missing: news2Parameters.filter((p) => scores[p] === undefined), risk: news2Risk(total, present) };
}
