/**
 * Splits a parameter value on a separator (`,` between OR'd values, `$` between the parts of a
 * composite) that is not escaped with a backslash; the escapes are kept, for a later split.
 */
export function splitEscaped(raw: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\' && i + 1 < raw.length) cur += raw[i] + raw[++i];
    else if (raw[i] === sep) {
      out.push(cur);
      cur = '';
    } else cur += raw[i];
  }
  out.push(cur);
  return out;
}

/** Drops the backslash of each escaped character. */
export const unescapeValue = (s: string): string => s.replace(/\\(.)/g, '$1');

/** The comma-separated values of a parameter, unescaped, empty ones left out. */
export function splitValues(raw: string): string[] {
  return splitEscaped(raw, ',').map(unescapeValue).filter((v) => v !== '');
}
