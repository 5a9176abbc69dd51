export const second = 1000;
export const minute = 60 * second;
export const hour = 60 * minute;
export const day = 24 * hour;

/** RFC 3339 time of a UTC instant in a fixed UTC offset, e.g. `2026-11-02T04:10:00+01:00`. */
export function formatTime(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * minute).toISOString();
  const withoutZone = local.endsWith('.000Z') ? local.slice(0, 19) : local.slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${withoutZone}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `+01:00` for 60. */
export function formatOffset(offsetMinutes: number): string {
  return formatTime(0, offsetMinutes).slice(19);
}

/** UTC instant as ISO 8601 with Z, whole seconds when possible. */
export function formatUtc(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Days since 1970-01-01 in local time of the offset. */
export function localDay(ms: number, offsetMinutes: number): number {
  return Math.floor((ms + offsetMinutes * minute) / day);
}

/** UTC instant of local midnight starting a local day. */
export function localMidnight(localDayNumber: number, offsetMinutes: number): number {
  return localDayNumber * day - offsetMinutes * minute;
}

/** Hours since local midnight, 0 to 24. */
export function localHour(ms: number, offsetMinutes: number): number {
  const local = ms + offsetMinutes * minute;
  return (local - Math.floor(local / day) * day) / hour;
}

/** Local day of week, 0 Sunday to 6 Saturday (1970-01-01 was a Thursday). */
export function localWeekday(localDayNumber: number): number {
  return (((localDayNumber + 4) % 7) + 7) % 7;
}

/** `90s`, `30m`, `2h`, `3d`, `1d12h` (units s, m, h, d, summed) to milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const units: Record<string, number> = { s: second, m: minute, h: hour, d: day };
  if (!/^(\d+(\.\d+)?[smhd])+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) total += Number(amount) * units[unit];
  return total;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
