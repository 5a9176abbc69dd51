import { sortedEntries, type Distribution } from './value-distribution.js';

/**
 * The statistics of a rollup, from a value distribution:
 * - count; mean (average); minimum; maximum;
 * - std-dev: the sample standard deviation (divisor n − 1), absent for fewer than 2 values;
 * - p10 and p90: percentiles by linear interpolation between the closest ranks: with the n values
 *   sorted x[0] ≤ … ≤ x[n−1], the p-th percentile sits at rank r = p × (n − 1) and is
 *   x[⌊r⌋] + (r − ⌊r⌋) × (x[⌊r⌋ + 1] − x[⌊r⌋]). This is PostgreSQL's percentile_cont (Hyndman and
 *   Fan type 7, a spreadsheet's PERCENTILE.INC), the method of Observation/$stats.
 * Mean, std-dev and percentiles are rounded to 0.01; minimum and maximum are values as they are.
 */
export interface RollupFigures {
  count: number;
  average?: number;
  minimum?: number;
  maximum?: number;
  stdDev?: number;
  p10?: number;
  p90?: number;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** The value at 0-based rank i of the sorted values the entries stand for. */
function valueAtRank(entries: [number, number][], i: number): number {
  let seen = 0;
  for (const [v, c] of entries) {
    seen += c;
    if (i < seen) return v;
  }
  return entries[entries.length - 1][0];
}

/** The p-th percentile (0 ≤ p ≤ 1) by linear interpolation between the closest ranks; undefined without values. */
export function percentile(d: Distribution, p: number): number | undefined {
  const entries = sortedEntries(d);
  const n = entries.reduce((a, [, c]) => a + c, 0);
  if (!n) return undefined;
  const r = p * (n - 1);
  const lo = Math.floor(r);
  const below = valueAtRank(entries, lo);
  if (r === lo) return below;
  return below + (r - lo) * (valueAtRank(entries, lo + 1) - below);
}

export function rollupFigures(d: Distribution): RollupFigures {
  const entries = sortedEntries(d);
  const n = entries.reduce((a, [, c]) => a + c, 0);
  if (!n) return { count: 0 };
  const mean = entries.reduce((a, [v, c]) => a + v * c, 0) / n;
  const figures: RollupFigures = {
    count: n,
    average: round(mean),
    minimum: entries[0][0],
    maximum: entries[entries.length - 1][0],
    p10: round(percentile(d, 0.1)!),
    p90: round(percentile(d, 0.9)!),
  };
  if (n >= 2) figures.stdDev = round(Math.sqrt(entries.reduce((a, [v, c]) => a + c * (v - mean) ** 2, 0) / (n - 1)));
  return figures;
}
