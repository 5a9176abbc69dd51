/**
 * FHIR date, dateTime and instant values stand for a period as long as their precision:
 * "2024" is the whole year, "2024-03-05T10:00" the whole minute. Returns [lo, hi) in UTC ms.
 * A value without a time zone is read as UTC.
 */
const pattern =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;

export interface DateRange {
  lo: number;
  hi: number;
}

export function dateRange(value: string): DateRange | undefined {
  const m = pattern.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  const hour = h ? Number(h) : 0;
  const minute = mi ? Number(mi) : 0;
  const second = s ? Number(s) : 0;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  if (month > 11 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return undefined;
  let offsetMin = 0;
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const lo = Date.UTC(year, month, day, hour, minute, second, ms) - offsetMin * 60000;
  let hi: number;
  if (!mo) hi = Date.UTC(year + 1, 0, 1);
  else if (!d) hi = Date.UTC(year, month + 1, 1);
  else if (!h) hi = Date.UTC(year, month, day + 1);
  else if (!mi) hi = lo + 3600000; // hour precision only appears in search values
  else if (!s) hi = lo + 60000;
  else if (!frac) hi = lo + 1000;
  else hi = lo + Math.max(1, 10 ** (3 - Math.min(frac.length, 3)));
  if (Number.isNaN(lo) || Number.isNaN(hi)) return undefined;
  return { lo, hi };
}
