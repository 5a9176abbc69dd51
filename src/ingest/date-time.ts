/** An RFC 3339 date-time: the instant it names, and the UTC offset as written. */
export interface DateTimeValue {
  /** Milliseconds since the epoch (fractions below a millisecond are dropped). */
  ms: number;
  /** The offset as ±hh:mm; "Z" becomes +00:00, and -00:00 (offset unknown) stays. */
  offset: string;
}

const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Parses an RFC 3339 date-time (an offset is required); undefined when it is not one. */
export function parseDateTime(text: string): DateTimeValue | undefined {
  const m = dateTimePattern.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let offset = '+00:00';
  let offsetMinutes = 0;
  if (m[8]) {
    const hours = Number(m[9]);
    const minutes = Number(m[10]);
    if (hours > 23 || minutes > 59) return undefined;
    offset = `${m[8]}${m[9]}:${m[10]}`;
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const millis = m[7] ? Number((m[7].slice(1) + '00').slice(0, 3)) : 0;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return { ms: date.getTime() - offsetMinutes * 60000, offset };
}

/** An instant as ISO 8601 in UTC with milliseconds and Z, e.g. 2020-02-05T15:25:00.000Z. */
export const utcInstant = (ms: number): string => new Date(ms).toISOString();

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
