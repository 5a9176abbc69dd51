import type { SearchContext } from './search.js';
import { currentVersionJoin, fromRecord, type StoredVersion, versionColumns, type VersionRecord } from '../repository/stored.js';
import { ucumSystem } from './ucum.js';
import { type Conversion, reconcileUnits } from './stats-units.js';

/** What Observation/$stats computes over: one subject, some codings, one time window. */
export interface StatsQuery {
  subject: { type: string; id: string };
  /** The requested codings in request order; a null system matches any system. */
  codings: { system: string | null; code: string }[];
  /** The window [start, end); end null leaves it open. Also the origin of the regression. */
  start: Date;
  end: Date | null;
}

/** The statistics of one group of values (one code, one unit). */
export interface GroupStats {
  system: string | null;
  code: string;
  /** Positions (0-based) of the requested codings the group comes from. */
  requested: number[];
  /** Every candidate value of the group, with or without a usable quantity (total-count). */
  total: number;
  count: number;
  /** The unit of the values; null when none was usable. */
  unit: string | null;
  average: number | null;
  minimum: number | null;
  maximum: number | null;
  sum: number | null;
  stdDev: number | null;
  variance: number | null;
  /** percentile_cont at 0.2, 0.25, 0.4, 0.5, 0.6, 0.75, 0.8 */
  percentiles: number[] | null;
  skew: number | null;
  kurtosis: number | null;
  /** Least-squares line over time: value per day, and the value at the window start. */
  slope: number | null;
  intercept: number | null;
}

export const percentileFractions = [0.2, 0.25, 0.4, 0.5, 0.6, 0.75, 0.8];

/*
 * The values $stats works on, as SQL over parameters $1..$12 (see queryParams).
 *
 * An Observation takes part when its subject is the one asked for, it is not deleted, its status
 * is not entered-in-error, and the start of its effective time (observation_index.lo: the start of
 * an effectivePeriod, or of the precision of an effectiveDateTime such as "2026-03-01") lies in
 * the window. Observations without an effective time cannot be placed and never take part.
 *
 * Its values, each in one group keyed 'system|code' (candidates for total-count):
 *  - its own value, grouped under each requested coding its Observation.code matches, unless it
 *    is a panel (no value[x] of its own, components instead: 85354-9 blood pressure);
 *  - the components of a panel matched that way, grouped under the component's own first coding
 *    (one in the system of the requested coding when there is one);
 *  - any component whose code matches a requested coding, grouped under that coding.
 * A value counts (count and the other statistics) when it is a valueQuantity with a number and a
 * UCUM code. Groups with several units are converted to one ($8..$12) or refused.
 */
const valuesSql = `
  req AS (
    SELECT r.system, r.code, (r.ord - 1)::int AS ord
      FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS r(system, code, ord)),
  by_code AS (
    SELECT DISTINCT s.id, s.lo, r.ord
      FROM req r
      JOIN observation_index s ON s.tenant = $1 AND s.target_id = $2 AND s.target_type = $3
       AND s.code = r.code AND (r.system IS NULL OR s.system = r.system)
       AND s.lo >= $6 AND ($7::timestamptz IS NULL OR s.lo < $7)),
  by_component AS (
    SELECT DISTINCT s.id, s.lo
      FROM req r
      JOIN search_token t ON t.tenant = $1 AND t.resource_type = 'Observation' AND t.param = 'component-code'
       AND t.code = r.code AND (r.system IS NULL OR t.system = r.system)
      JOIN observation_index s ON s.tenant = t.tenant AND s.id = t.id AND s.target_id = $2 AND s.target_type = $3
       AND s.lo >= $6 AND ($7::timestamptz IS NULL OR s.lo < $7)),
  docs AS (
    SELECT f.id, f.lo, d.doc,
           jsonb_typeof(d.doc->'component') = 'array'
             AND NOT EXISTS (SELECT 1 FROM jsonb_object_keys(d.doc) k WHERE k LIKE 'value%') AS panel
      FROM (SELECT id, min(lo) AS lo FROM (SELECT id, lo FROM by_code UNION ALL SELECT id, lo FROM by_component) u GROUP BY id) f
      JOIN resource r ON r.tenant = $1 AND r.resource_type = 'Observation' AND r.id = f.id AND NOT r.deleted
      JOIN resource_version v ON v.tenant = r.tenant AND v.resource_type = r.resource_type AND v.id = r.id AND v.version_id = r.version_id
      CROSS JOIN LATERAL (SELECT v.content::jsonb AS doc) d
     WHERE d.doc->>'status' IS DISTINCT FROM 'entered-in-error'),
  parts AS (
    SELECT b.id, d.lo, b.ord, r.system AS gsys, r.code AS gcode, 0::bigint AS part, d.doc->'valueQuantity' AS q
      FROM by_code b JOIN docs d ON d.id = b.id JOIN req r ON r.ord = b.ord
     WHERE NOT d.panel
    UNION ALL
    SELECT b.id, d.lo, b.ord, k.system, k.code, c.part, c.item->'valueQuantity'
      FROM by_code b JOIN docs d ON d.id = b.id AND d.panel JOIN req r ON r.ord = b.ord
     CROSS JOIN LATERAL jsonb_array_elements(d.doc->'component') WITH ORDINALITY AS c(item, part)
     CROSS JOIN LATERAL (
       SELECT x.coding->>'system' AS system, x.coding->>'code' AS code
         FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.item->'code'->'coding') = 'array'
                                        THEN c.item->'code'->'coding' ELSE '[]' END) WITH ORDINALITY AS x(coding, n)
        WHERE x.coding->>'code' IS NOT NULL
        ORDER BY (x.coding->>'system' IS NOT DISTINCT FROM r.system) DESC, x.n
        LIMIT 1) k
    UNION ALL
    SELECT d.id, d.lo, r.ord, r.system, r.code, c.part, c.item->'valueQuantity'
      FROM docs d
     CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(d.doc->'component') = 'array'
                                                  THEN d.doc->'component' ELSE '[]' END) WITH ORDINALITY AS c(item, part)
      JOIN req r ON jsonb_typeof(c.item->'code'->'coding') = 'array' AND EXISTS (
       SELECT 1 FROM jsonb_array_elements(c.item->'code'->'coding') x
        WHERE x->>'code' = r.code AND (r.system IS NULL OR x->>'system' = r.system))),
  keyed AS (
    SELECT p.*, coalesce(p.gsys, '') || '|' || p.gcode AS gkey,
           coalesce(p.q->>'system' = '${ucumSystem}' AND p.q->>'code' <> '' AND jsonb_typeof(p.q->'value') = 'number', false) AS ucum
      FROM parts p),
  vals AS (
    SELECT DISTINCT ON (gkey, id, part) gkey, gsys, gcode, id, lo,
           CASE WHEN ucum THEN (q->>'value')::numeric END AS x, CASE WHEN ucum THEN q->>'code' END AS unit
      FROM keyed
     ORDER BY gkey, id, part, ord),
  conv AS (
    SELECT * FROM unnest($8::text[], $9::text[], $10::text[], $11::numeric[], $12::numeric[]) AS c(gkey, unit, target, a, b)),
  usable AS (
    SELECT v.gkey, v.id, v.lo,
           CASE WHEN c.gkey IS NULL THEN v.unit ELSE c.target END AS unit,
           CASE WHEN c.gkey IS NULL THEN v.x ELSE v.x * c.a + c.b END AS x
      FROM vals v LEFT JOIN conv c ON c.gkey = v.gkey AND c.unit = v.unit
     WHERE v.x IS NOT NULL AND (c.gkey IS NULL OR c.target IS NOT NULL))`;

// Moments from deviations about the group mean (exact in numeric, then float8). Skew and
// kurtosis are the sample-adjusted G1 and excess G2 (as SAS, SPSS and spreadsheet SKEW/KURT).
const statsSql = `
WITH ${valuesSql},
  dev AS (
    SELECT u.*, (u.x - avg(u.x) OVER (PARTITION BY u.gkey, u.unit))::float8 AS d FROM usable u),
  agg AS (
    SELECT gkey, unit, count(*)::int AS n, avg(x) AS average, min(x) AS minimum, max(x) AS maximum, sum(x) AS sum,
           stddev_samp(x) AS std_dev, var_samp(x) AS variance,
           percentile_cont(ARRAY[${percentileFractions.join(', ')}]::float8[]) WITHIN GROUP (ORDER BY x::float8) AS percentiles,
           avg(d * d) AS m2, avg(d * d * d) AS m3, avg(d * d * d * d) AS m4,
           regr_slope(x::float8, (extract(epoch FROM lo - $6::timestamptz) / 86400)::float8) AS slope,
           regr_intercept(x::float8, (extract(epoch FROM lo - $6::timestamptz) / 86400)::float8) AS intercept
      FROM dev GROUP BY gkey, unit),
  groups AS (
    SELECT gkey, min(gsys) AS gsys, min(gcode) AS gcode, count(*)::int AS total FROM vals GROUP BY gkey),
  origins AS (
    SELECT gkey, array_agg(DISTINCT ord) AS ords FROM keyed GROUP BY gkey)
SELECT g.gkey, g.gsys, g.gcode, o.ords, g.total, a.unit, coalesce(a.n, 0) AS n, a.average, a.minimum, a.maximum, a.sum,
       a.std_dev, a.variance, a.percentiles, a.slope, a.intercept,
       CASE WHEN a.n >= 3 AND a.m2 > 0 THEN sqrt(a.n * (a.n - 1.0)) / (a.n - 2) * a.m3 / power(a.m2, 1.5) END AS skew,
       CASE WHEN a.n >= 4 AND a.m2 > 0
            THEN (a.n - 1.0) / ((a.n - 2) * (a.n - 3)) * ((a.n + 1) * a.m4 / (a.m2 * a.m2) - 3 * (a.n - 1)) END AS kurtosis
  FROM groups g JOIN origins o ON o.gkey = g.gkey LEFT JOIN agg a ON a.gkey = g.gkey
 ORDER BY o.ords[1], g.gkey, a.unit`;

// The sources: the Observations with a value that counted, spread evenly over time when there
// are more than the limit (the first of each of `limit` equal runs in time order).
const sourcesSql = `
WITH ${valuesSql},
  src AS (SELECT DISTINCT id, lo FROM usable),
  picked AS (
    SELECT DISTINCT ON (tile) id, lo
      FROM (SELECT id, lo, ntile($13::int) OVER (ORDER BY lo, id) AS tile FROM src) t
     ORDER BY tile, lo, id)
SELECT ${versionColumns}
  FROM picked p
  JOIN resource r ON r.tenant = $1 AND r.resource_type = 'Observation' AND r.id = p.id
  ${currentVersionJoin}
 ORDER BY p.lo, p.id`;

interface StatsRow {
  gkey: string;
  gsys: string | null;
  gcode: string;
  ords: number[];
  total: number;
  unit: string | null;
  n: number;
  average: string | null;
  minimum: string | null;
  maximum: string | null;
  sum: string | null;
  std_dev: string | null;
  variance: string | null;
  percentiles: number[] | null;
  slope: number | null;
  intercept: number | null;
  skew: number | null;
  kurtosis: number | null;
}

function queryParams(query: StatsQuery, ctx: SearchContext, conversions: Conversion[]): unknown[] {
  return [
    ctx.tenant,
    query.subject.id,
    query.subject.type,
    query.codings.map((c) => c.system),
    query.codings.map((c) => c.code),
    query.start.toISOString(),
    query.end?.toISOString() ?? null,
    conversions.map((c) => c.group),
    conversions.map((c) => c.unit),
    conversions.map((c) => c.target),
    conversions.map((c) => c.a),
    conversions.map((c) => c.b),
  ];
}

export interface StatsResult {
  groups: GroupStats[];
  /** The unit conversions applied, to select the sources with. */
  conversions: Conversion[];
}

/**
 * The statistics of every group, computed in PostgreSQL. A first pass groups by unit; when a
 * group turns out to hold several units (or codes that are not UCUM), a second pass converts
 * them to one unit or leaves the bad ones out, and reconcileUnits refuses what cannot be converted.
 */
export async function computeStats(ctx: SearchContext, query: StatsQuery): Promise<StatsResult> {
  let rows = await run(ctx, query, []);
  const conversions = reconcileUnits(rows.filter((r) => r.unit !== null).map((r) => ({ group: r.gkey, unit: r.unit!, count: r.n })));
  if (conversions.length) rows = await run(ctx, query, conversions);
  return { groups: rows.map(toGroup), conversions };
}

async function run(ctx: SearchContext, query: StatsQuery, conversions: Conversion[]): Promise<StatsRow[]> {
  const { rows } = await ctx.q.query<StatsRow>(statsSql, queryParams(query, ctx, conversions), { prepare: true });
  return rows;
}

/** The Observations the statistics were computed from; at most limit of them when given. */
export async function statsSources(ctx: SearchContext, query: StatsQuery, conversions: Conversion[], limit: number | null): Promise<StoredVersion[]> {
  const params = [...queryParams(query, ctx, conversions), limit ?? 2147483647];
  const { rows } = await ctx.q.query<VersionRecord>(sourcesSql, params, { prepare: true });
  return rows.map(fromRecord);
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(Number(v).toPrecision(12)));

function toGroup(r: StatsRow): GroupStats {
  return {
    system: r.gsys,
    code: r.gcode,
    requested: r.ords,
    total: r.total,
    count: r.n,
    unit: r.unit,
    average: num(r.average),
    minimum: num(r.minimum),
    maximum: num(r.maximum),
    sum: num(r.sum),
    stdDev: num(r.std_dev),
    variance: num(r.variance),
    percentiles: r.percentiles?.map((p) => num(p)!) ?? null,
    skew: num(r.skew),
    kurtosis: num(r.kurtosis),
    slope: num(r.slope),
    intercept: num(r.intercept),
  };
}
