/**
 * Builds the search benchmark's data set in PostgreSQL: BENCH_PATIENTS patients (1,000), each
 * with BENCH_DAYS days (365) of the readings in observation-metrics.ts: 28 a day, about 10.2
 * million Observations for the defaults.
 *
 * Every row is the row Serium itself would write. For each metric and each value a reading may
 * take, one prototype Observation goes through Serium's validator and indexer; the generator
 * then copies the prototype's rows (resource, version, every search index table and
 * observation_index) once per reading in set-based SQL, substituting only the id, the subject
 * and the time. Secondary indexes are dropped for the load and rebuilt after, then the tables
 * are vacuumed and analysed, as a long-running server's would be.
 *
 * Settings: BENCH_PG (admin URL), BENCH_DB (serium_bench_obs), BENCH_PATIENTS, BENCH_DAYS.
 * Run: node --import tsx bench/generate-observations.ts
 */
import pg from 'pg';
import { connectPostgres } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { loadConformance } from '../src/fhir/conformance.js';
import { Validator } from '../src/fhir/validator.js';
import { silentLogger } from '../src/logger.js';
import { indexColumns } from '../src/repository/write-version.js';
import { Indexer, indexTables } from '../src/search/index-values.js';
import { observationRows } from '../src/search/observation-rows.js';
import { metrics } from './observation-metrics.js';
import { benchAdminUrl, benchDatabaseUrl, days, firstDay, observationDb, patients } from './bench-db.js';

const admin = benchAdminUrl;
const dbName = observationDb;
const tenant = 'default';

// placeholders in the prototypes, replaced per reading
const protoId = 'gen-proto-id';
const protoSubject = 'gen-proto-subject';
const protoTime = '1999-01-01T00:00:00Z';
const protoUpdated = '1999-01-01T00:00:05.000Z';

const dbUrl = benchDatabaseUrl(dbName);

const started = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

async function main(): Promise<void> {
  const a = new pg.Client({ connectionString: admin });
  await a.connect();
  await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await a.query(`CREATE DATABASE ${dbName}`);
  await a.end();
  const db = connectPostgres(dbUrl, 2);
  await migrate(db, silentLogger);
  await db.close();

  const pool = new pg.Pool({
    connectionString: dbUrl,
    max: 2,
    options: '-c synchronous_commit=off -c maintenance_work_mem=1GB -c work_mem=256MB',
  });
  const q = (text: string, params: unknown[] = []) => pool.query(text, params);

  await loadPrototypes(q);
  log('prototypes validated and indexed');
  const dropped = await dropIndexes(q);
  log(`dropped ${dropped.length} indexes and keys for the load`);

  await q(`CREATE UNLOGGED TABLE gen_schedule (metric int, variants int, minutes int[])`);
  for (const [i, m] of metrics.entries()) await q('INSERT INTO gen_schedule VALUES ($1, $2, $3)', [i, m.values.length, m.minutes]);
  await q(
    `CREATE UNLOGGED TABLE gen AS
     SELECT md5(h.k)::uuid::text AS id, 'bench-' || lpad(p::text, 4, '0') AS pid, s.metric,
            abs(hashtext(h.k)) % s.variants AS variant,
            $1::timestamptz + d * interval '1 day' + s.minutes[i] * interval '1 minute' + (abs(hashtext(h.k || 's')) % 50) * interval '1 second' AS t
       FROM generate_series(1, $2::int) p
      CROSS JOIN gen_schedule s
      CROSS JOIN generate_series(0, $3::int - 1) d
      CROSS JOIN LATERAL generate_subscripts(s.minutes, 1) i
      CROSS JOIN LATERAL (SELECT p || '/' || s.metric || '/' || d || '/' || i AS k) h`,
    [firstDay, patients, days],
  );
  const { rows } = await q('SELECT count(*)::bigint AS n FROM gen');
  log(`${Number(rows[0].n).toLocaleString('en')} readings scheduled`);

  const shift = `(g.t - '${protoTime}'::timestamptz)`;
  const text = (col: string) => `replace(replace(${col}, '${protoSubject}', g.pid), '${protoId}', g.id)`;
  const iso = (t: string, format: string) => `to_char((${t}) AT TIME ZONE 'UTC', '${format}')`;
  const loads: [string, string][] = [
    ['resource', `INSERT INTO resource SELECT '${tenant}', 'Observation', g.id, 1, g.t + interval '5 seconds', false FROM gen g`],
    [
      'resource_version',
      `INSERT INTO resource_version
       SELECT '${tenant}', 'Observation', g.id, 1, g.t + interval '5 seconds', false, 'POST',
              replace(replace(${text('c.content')}, '${protoTime}', ${iso('g.t', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')}),
                      '${protoUpdated}', ${iso("g.t + interval '5 seconds'", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')})
         FROM gen g JOIN gen_content c USING (metric, variant)`,
    ],
    [
      'observation_index',
      `INSERT INTO observation_index
       SELECT '${tenant}', g.id, o.target_type, ${text('o.target_id')}, o.system, o.code, o.codes, o.categories, o.lo + ${shift}, o.hi + ${shift}
         FROM gen g JOIN gen_observation o USING (metric, variant)`,
    ],
  ];
  for (const table of indexTables) {
    const cols = indexColumns[table].map((c) => c.split('::') as [string, string?]);
    const values = cols.map(([name, cast]) =>
      cast === 'timestamptz' ? `t.${name}::timestamptz + ${shift}` : cast ? `t.${name}::${cast}` : text(`t.${name}`),
    );
    loads.push([
      `search_${table}`,
      `INSERT INTO search_${table} (tenant, resource_type, id, ${cols.map(([n]) => n).join(', ')})
       SELECT '${tenant}', 'Observation', g.id, ${values.join(', ')} FROM gen g JOIN gen_${table} t USING (metric, variant)`,
    ]);
  }
  await inParallel(loads, async ([table, sql]) => {
    const t0 = Date.now();
    const r = await q(sql);
    log(`${table}: ${(r.rowCount ?? 0).toLocaleString('en')} rows in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });

  await inParallel(dropped, async (ddl) => {
    const t0 = Date.now();
    await q(ddl);
    log(`${ddl.slice(0, 90)}… ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });
  await q('DROP TABLE gen, gen_schedule, gen_content, gen_observation');
  for (const table of indexTables) await q(`DROP TABLE gen_${table}`);
  const tables = (await q(`SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`)).rows.map((r) => r.relname as string);
  await inParallel(tables, (t) => q(`VACUUM (ANALYZE) ${t}`));
  const size = (await q('SELECT pg_size_pretty(pg_database_size(current_database())) AS s')).rows[0].s;
  log(`vacuumed and analysed; database ${dbName} holds ${size}`);
  await pool.end();
}

/** Runs each prototype through validation and indexing and stores its rows as templates. */
async function loadPrototypes(q: (text: string, params?: unknown[]) => Promise<pg.QueryResult>): Promise<void> {
  const { local, defs, terminology } = loadConformance();
  const validator = new Validator(terminology, local.profiles);
  const indexer = new Indexer(defs, 'http://localhost/fhir', terminology);
  await q('CREATE UNLOGGED TABLE gen_content (metric int, variant int, content text)');
  await q('CREATE UNLOGGED TABLE gen_observation (metric int, variant int, target_type text, target_id text, system text, code text, codes text[], categories text[], lo timestamptz, hi timestamptz)');
  for (const table of indexTables) {
    const cols = indexColumns[table].map((c) => `${c.split('::')[0]} text`);
    await q(`CREATE UNLOGGED TABLE gen_${table} (metric int, variant int, ${cols.join(', ')})`);
  }
  for (const [m, metric] of metrics.entries()) {
    for (const [v, value] of metric.values.entries()) {
      const { status, category, code, ...rest } = metric.observation(value);
      // the shape Serium stores: id and meta first, as the repository writes them
      const resource = {
        resourceType: 'Observation',
        id: protoId,
        meta: { versionId: '1', lastUpdated: protoUpdated },
        status,
        category,
        code,
        subject: { reference: `Patient/${protoSubject}` },
        effectiveDateTime: protoTime,
        ...rest,
      };
      validator.assertValid(resource as never);
      await q('INSERT INTO gen_content VALUES ($1, $2, $3)', [m, v, JSON.stringify(resource)]);
      const index = indexer.rows(resource as never);
      const o = observationRows(index);
      for (const [i, code] of o.codes.entries()) {
        await q('INSERT INTO gen_observation VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
          m, v, o.targetType, o.targetId, o.systems[i], code, i === 0 ? o.codeSet : null, o.categories, o.lo, o.hi,
        ]);
      }
      for (const table of indexTables) {
        for (const row of index[table] as unknown[][]) {
          const ph = row.map((_, i) => `$${i + 3}`).join(', ');
          await q(`INSERT INTO gen_${table} VALUES ($1, $2, ${ph})`, [m, v, ...row]);
        }
      }
    }
  }
}

/** Drops the secondary indexes and primary keys of the partitioned tables; returns the DDL that restores them. */
async function dropIndexes(q: (text: string, params?: unknown[]) => Promise<pg.QueryResult>): Promise<string[]> {
  const keys = await q(
    `SELECT c.conrelid::regclass::text AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      WHERE c.contype = 'p' AND t.relnamespace = 'public'::regnamespace AND NOT t.relispartition AND t.relname <> 'schema_migration'`,
  );
  const indexes = await q(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
      WHERE NOT i.indisprimary AND t.relnamespace = 'public'::regnamespace AND NOT t.relispartition
        AND t.relname <> 'schema_migration'`,
  );
  for (const k of keys.rows) await q(`ALTER TABLE ${k.tbl} DROP CONSTRAINT ${k.conname}`);
  for (const i of indexes.rows) await q(`DROP INDEX ${i.name}`);
  return [...keys.rows.map((k) => `ALTER TABLE ${k.tbl} ADD CONSTRAINT ${k.conname} ${k.def}`), ...indexes.rows.map((i) => (i.def as string).replace(' ON ONLY ', ' ON '))];
}

/** Runs the tasks two at a time: one per core. */
async function inParallel<T>(items: T[], run: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all([0, 1].map(async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
  }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
