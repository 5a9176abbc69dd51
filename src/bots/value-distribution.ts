/**
 * A value distribution: each distinct value and how many times it occurred. It holds everything
 * the rollup statistics need (count, mean, spread, extremes, percentiles) exactly, in a size
 * bounded by the number of distinct values rather than by the number of readings (an hour of 1 Hz
 * heart rate in whole beats per minute is at most a few dozen entries, not 3,600), and two of
 * them combine by adding the counts.
 */
export type Distribution = Map<number, number>;

/** Values are kept to 4 decimals, so that unit conversions and SampledData arithmetic leave no binary noise. */
export const distributionValue = (v: number) => Math.round(v * 10_000) / 10_000;

export function distributionOf(values: number[]): Distribution {
  const d: Distribution = new Map();
  for (const v of values) {
    const k = distributionValue(v);
    d.set(k, (d.get(k) ?? 0) + 1);
  }
  return d;
}

export function mergeDistributions(parts: Distribution[]): Distribution {
  const d: Distribution = new Map();
  for (const part of parts) for (const [v, c] of part) d.set(v, (d.get(v) ?? 0) + c);
  return d;
}

/** The entries in ascending order of value. */
export const sortedEntries = (d: Distribution): [number, number][] => [...d].sort(([a], [b]) => a - b);

/** "value:count" pairs in ascending order of value, separated by spaces (for an extension's valueString). */
export function formatDistribution(d: Distribution): string {
  return sortedEntries(d)
    .map(([v, c]) => `${v}:${c}`)
    .join(' ');
}

/** The distribution written by formatDistribution; undefined when the text is not one. */
export function parseDistribution(text: string): Distribution | undefined {
  const d: Distribution = new Map();
  for (const pair of text.split(' ').filter(Boolean)) {
    const m = /^(-?\d+(?:\.\d+)?):(\d+)$/.exec(pair);
    if (!m) return undefined;
    const v = Number(m[1]);
    d.set(v, (d.get(v) ?? 0) + Number(m[2]));
  }
  return d;
}
