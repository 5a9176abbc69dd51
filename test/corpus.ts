import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, BundleEntry, OperationOutcome } from '@medplum/fhirtypes';
import { call, serveDatabase, type TestServer } from './harness.js';
import { testDataDir } from './test-data.js';
import { ensureTemplate, runPrefix, templateName, withAdmin } from './test-database.js';

// The external test corpora (test-data.ts; see the data's own README): every Synthea NDJSON resource, the
// HL7 PHD IG examples and the official R4 examples. The first test file of a run loads them into a
// database over HTTP; every corpus test file then searches its own copy of that database. Each
// also gets an in-memory view of what was loaded, built from the files, that the tests derive
// their expected answers from without asking the server.

export const dataDir = testDataDir();

export type Res = { resourceType: string; id?: string } & Record<string, any>;

export interface Rejection {
  /** Where the resource came from: "folder/file", "folder/file:line" or "folder/file#entry[i]". */
  source: string;
  status: number;
  reason: string;
}

/** What loading told us that the files cannot: refusals and the ids the server chose. */
export interface LoadReport {
  rejected: Rejection[];
  /** source → "Type/id" of every resource created by POST. */
  assigned: Record<string, string>;
  loadMs: number;
}

export interface Corpus extends LoadReport {
  /** Every resource the server holds, as stored: ids the server assigned, references resolved. */
  resources: Res[];
  /** The loaded resources of one type. */
  of(type: string): Res[];
}

const readJson = (rel: string): Res => JSON.parse(readFileSync(join(dataDir, rel), 'utf8'));

interface Item {
  source: string;
  entry: { fullUrl?: string; resource?: Res; request?: { method: string; url: string } };
}

/** R4 and PHD example files that hold one resource each (a transaction Bundle is not one). */
function singleFiles(): Item[] {
  const out: Item[] = [];
  for (const folder of ['fhir-r4-examples', 'phd-ig-examples']) {
    for (const f of readdirSync(join(dataDir, folder)).filter((x) => x.endsWith('.json')).sort()) {
      const res = readJson(`${folder}/${f}`);
      if (res.resourceType === 'Bundle' && (res.type === 'transaction' || res.type === 'batch')) continue;
      const request = res.id ? { method: 'PUT', url: `${res.resourceType}/${res.id}` } : { method: 'POST', url: res.resourceType };
      out.push({ source: `${folder}/${f}`, entry: { resource: res, request } });
    }
  }
  return out;
}

/** The PHD transaction bundles, entry by entry, as published. */
const phdBundles = () =>
  ['bundle-example-1.json', 'bundle-continuousnonin.json'].map((f) =>
    ((readJson(`phd-ig-examples/${f}`) as Bundle).entry ?? []).map((entry, i): Item => ({ source: `phd-ig-examples/${f}#entry[${i}]`, entry: entry as Item['entry'] })),
  );

/** Synthea files in an order where every conditional reference targets an earlier file. */
function syntheaFiles(): string[] {
  const order = ['Organization', 'Location', 'Practitioner', 'PractitionerRole', 'Patient', 'Encounter', 'Condition'];
  const rank = (f: string) => {
    const i = order.indexOf(f.split('.')[0]);
    return i < 0 ? order.length : i;
  };
  const files = readdirSync(join(dataDir, 'synthea-10-patients')).filter((f) => /^[A-Z]\w+\.\d+\.ndjson$/.test(f));
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function syntheaLines(file: string): Item[] {
  const lines = readFileSync(join(dataDir, 'synthea-10-patients', file), 'utf8').split('\n').filter(Boolean);
  return lines.map((line, n) => {
    const res = JSON.parse(line) as Res;
    return { source: `synthea-10-patients/${file}:${n + 1}`, entry: { resource: res, request: { method: 'PUT', url: `${res.resourceType}/${res.id}` } } };
  });
}

/** Replaces Reference.reference values through a function (undefined keeps the value). */
function mapReferences<T>(value: T, f: (ref: string) => string | undefined): T {
  if (Array.isArray(value)) return value.map((v) => mapReferences(v, f)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === 'reference' && typeof v === 'string' ? (f(v) ?? v) : mapReferences(v, f);
    return out as T;
  }
  return value;
}

/**
 * Synthea refers to Practitioners, Locations and Organizations by conditional reference:
 * "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999974493" becomes "Practitioner/<id>"
 * when exactly that identifier was loaded.
 */
class Identifiers {
  private readonly map = new Map<string, string>();
  add(res: Res): void {
    for (const i of res.identifier ?? []) this.map.set(`${res.resourceType}?identifier=${i.system}|${i.value}`, `${res.resourceType}/${res.id}`);
  }
  resolve(res: Res): Res {
    return mapReferences(res, (ref) => (/^[A-Z][A-Za-z]+\?identifier=/.test(ref) ? this.map.get(ref) : undefined));
  }
}

const outcomeText = (oo: OperationOutcome | undefined) =>
  (oo?.issue ?? [])
    .map((i) => `${[i.details?.text, i.diagnostics].filter(Boolean).join(' ') || i.code}${i.expression ? ` @ ${i.expression.join(',')}` : ''}`)
    .join('; ');
const statusOf = (e: BundleEntry | undefined) => Number(/^\d+/.exec(e?.response?.status ?? '')?.[0] ?? 0);
/** "Type/id" of a write answer's location ("Type/id/_history/1"). */
const located = (e: BundleEntry | undefined) => /^([A-Za-z]+\/[^/]+)/.exec(e?.response?.location ?? '')?.[1];

async function post(srv: TestServer, type: 'batch' | 'transaction', items: Item[]) {
  return call(srv, 'POST', '', { resourceType: 'Bundle', type, entry: items.map((i) => i.entry) }, { prefer: 'return=minimal' });
}

/**
 * Posts a transaction; when it fails, the entry the outcome names ("Bundle.entry[i]: ...") is
 * recorded as rejected and the transaction is posted again without it.
 */
async function transaction(srv: TestServer, items: Item[], report: LoadReport): Promise<void> {
  let left = items;
  while (left.length) {
    const r = await post(srv, 'transaction', left);
    if (r.status === 200) {
      ((r.body as Bundle).entry ?? []).forEach((e, i) => {
        if (left[i].entry.request?.method === 'POST' && statusOf(e) === 201) report.assigned[left[i].source] = located(e) as string;
      });
      return;
    }
    const reason = outcomeText(r.body as OperationOutcome);
    const m = /Bundle\.entry\[(\d+)\]/.exec(reason);
    if (!m) throw new Error(`transaction failed with ${r.status} naming no entry: ${reason}`);
    report.rejected.push({ source: left[Number(m[1])].source, status: r.status, reason: reason.replace(/^Bundle\.entry\[\d+\]: /, '') });
    left = left.filter((_, j) => j !== Number(m[1]));
  }
}

/**
 * Loads the corpora: R4 and PHD single resources in one batch of PUTs, the PHD transactions as
 * published, then Synthea in transactions of `chunk` PUTs. The server resolves the conditional
 * references of the Synthea Immunizations itself (they are legal in a transaction); elsewhere they
 * are rewritten to "Type/id" here first, as resolving some ten thousand of them one by one makes
 * the load several times slower.
 */
export async function loadCorpus(srv: TestServer, chunk = 300): Promise<LoadReport> {
  const started = Date.now();
  const report: LoadReport = { rejected: [], assigned: {}, loadMs: 0 };
  const singles = singleFiles();
  const b = await post(srv, 'batch', singles);
  if (b.status !== 200) throw new Error(`example batch: ${b.status} ${b.text.slice(0, 500)}`);
  singles.forEach((s, i) => {
    const e = (b.body as Bundle).entry?.[i];
    const status = statusOf(e);
    if (status !== 200 && status !== 201) report.rejected.push({ source: s.source, status, reason: outcomeText(e?.response?.outcome as OperationOutcome) });
    else if (s.entry.request?.method === 'POST') report.assigned[s.source] = located(e) as string;
  });
  for (const items of phdBundles()) await transaction(srv, items, report);
  const ids = new Identifiers();
  for (const file of syntheaFiles()) {
    const items = syntheaLines(file);
    if (!file.startsWith('Immunization.')) for (const it of items) it.entry.resource = ids.resolve(it.entry.resource as Res);
    for (let i = 0; i < items.length; i += chunk) await transaction(srv, items.slice(i, i + chunk), report);
    for (const it of items) ids.add(it.entry.resource as Res);
  }
  // Fresh statistics, as after any bulk import: without them the planner takes every table for
  // empty and nests loops over thousands of rows (a chained search then runs for minutes).
  await srv.running.db.query('ANALYZE');
  report.loadMs = Date.now() - started;
  return report;
}

/** What the server holds after loadCorpus, from the files and the load report alone. */
export function corpusView(report: LoadReport): Corpus {
  const rejected = new Set(report.rejected.map((r) => r.source));
  const stored = new Map<string, Res>();
  const keep = (res: Res) => stored.set(`${res.resourceType}/${res.id}`, res);
  for (const s of singleFiles()) {
    if (rejected.has(s.source)) continue;
    const at = report.assigned[s.source];
    keep({ ...(s.entry.resource as Res), ...(at ? { id: at.split('/')[1] } : {}) });
  }
  for (const items of phdBundles()) {
    // only created resources have an assigned id (no ifNoneExist of these bundles finds a match)
    const placed = new Map(items.filter((it) => it.entry.fullUrl && report.assigned[it.source]).map((it) => [it.entry.fullUrl as string, report.assigned[it.source]]));
    for (const it of items) {
      const at = report.assigned[it.source];
      if (at && !rejected.has(it.source)) keep({ ...mapReferences(it.entry.resource as Res, (ref) => placed.get(ref)), id: at.split('/')[1] });
    }
  }
  const ids = new Identifiers();
  for (const file of syntheaFiles()) {
    const items = syntheaLines(file).filter((it) => !rejected.has(it.source));
    for (const it of items) keep(ids.resolve(it.entry.resource as Res));
    for (const it of items) ids.add(it.entry.resource as Res);
  }
  const resources = [...stored.values()];
  const byType = new Map<string, Res[]>();
  for (const r of resources) {
    if (!byType.has(r.resourceType)) byType.set(r.resourceType, []);
    byType.get(r.resourceType)?.push(r);
  }
  return { ...report, resources, of: (type) => byType.get(type) ?? [] };
}


const corpusDb = `${runPrefix}_corpus`;

/**
 * The loaded corpus database of this run and its load report (kept as the database's comment).
 * Test files race for it under an advisory lock; the first one loads it.
 */
async function ensureCorpus(): Promise<LoadReport> {
  await ensureTemplate();
  return withAdmin(async (c) => {
    await c.query('SELECT pg_advisory_lock(7375728)');
    try {
      const have = await c.query(`SELECT shobj_description(oid, 'pg_database') AS report FROM pg_database WHERE datname = $1`, [corpusDb]);
      if (have.rowCount) return JSON.parse(have.rows[0].report) as LoadReport;
      const building = `${corpusDb}_building`;
      await c.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${building} TEMPLATE ${templateName}`);
      const srv = await serveDatabase(building);
      let report: LoadReport;
      try {
        report = await loadCorpus(srv);
      } finally {
        await srv.stop(true);
      }
      await c.query(`COMMENT ON DATABASE ${building} IS ${c.escapeLiteral(JSON.stringify(report))}`);
      await c.query(`ALTER DATABASE ${building} RENAME TO ${corpusDb}`);
      return report;
    } finally {
      await c.query('SELECT pg_advisory_unlock(7375728)');
    }
  });
}

/** A server on a fresh copy of the loaded corpus, with the view of what it holds. */
export async function startCorpusServer(): Promise<{ srv: TestServer; corpus: Corpus }> {
  const report = await ensureCorpus();
  const name = `${runPrefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${corpusDb}`));
  return { srv: await serveDatabase(name), corpus: corpusView(report) };
}

/** The Synthea patients by official family name (jq -c '{id, name, birthDate, gender}' Patient.000.ndjson). */
export const P = {
  medhurst: '129c6ac7-8d06-89de-ad63-0204a93e76c3', // F 1927-05-21, died 1989-05-09T20:35:22-04:00, maiden Cummerata161, Emporia
  cole: '3af3708d-41f1-cd80-f3dd-ec5ac76072bf', // M 1960-04-13, died 1971-10-01T13:44:40-04:00, Haysville
  schmitt: '63ee2253-bdd5-da55-2ad2-b4984d0ad700', // M 2011-03-23, Cunningham
  cummings: '6a4160eb-a793-2f86-2302-378626f46cce', // F 1963-07-15, Overland Park
  upton: '79a66c97-6131-3213-f3c9-4606946ab056', // F 1927-05-21, died 1994-11-11T22:58:16-05:00, given Marine542 Ai120, Emporia
  champlin: '7bc002fa-dc52-17d6-1563-fd8901826f7d', // F 1978-05-12, Mission
  streich: '8e1a0a7c-e308-444b-075a-3c2b1f60f881', // M 1960-04-13, Haysville, prefix Mr.
  schumm: 'a4a401d1-a46a-eb4a-8a38-760d5d79d6ec', // F 1981-11-03, Shawnee
  johnson: 'a5cb8ce9-cec6-6b23-0990-cbaf753578a4', // F 1927-05-21, Emporia
  shanahan: 'bb6a9034-2f23-2508-d29d-35efee156dc9', // F 2007-07-11, Mound
  jast: 'ca15b832-01e4-41dd-6a52-97bd3e5510cb', // F 1986-11-19, Wichita
  emmerich: 'cbc86e51-9eca-3855-76ec-c058f72c5761', // M 1995-12-30, Olathe, prefix Mr.
  okeefe: 'fb7c882a-f897-e7c5-67e0-825e7fd55d15', // F 2002-07-30, Hutchinson, family O'Keefe54
};

// Rules for deriving expected answers from the view (R4 search.html), apart from the server's code.

/**
 * The instant range [lo, hi) in UTC ms that a date, dateTime or instant stands for: as long as its
 * precision. A value without a time zone is taken in UTC, the server's time zone.
 */
export function span(v: string): [number, number] {
  const ymd = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(v);
  if (ymd) {
    const [y, m, d] = [Number(ymd[1]), ymd[2] ? Number(ymd[2]) - 1 : undefined, ymd[3] ? Number(ymd[3]) : undefined];
    if (m === undefined) return [Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1)];
    if (d === undefined) return [Date.UTC(y, m, 1), Date.UTC(y, m + 1, 1)];
    return [Date.UTC(y, m, d), Date.UTC(y, m, d + 1)];
  }
  const t = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(v);
  if (!t) throw new Error(`not a FHIR date: ${v}`);
  const at = Date.parse(`${t[1]}${t[2] ?? ':00'}${t[3] ?? ''}${t[4] ?? 'Z'}`);
  return [at, at + (t[3] ? 1 : t[2] ? 1000 : 60000)];
}

/** A Period as a range; a missing start or end is open. */
export const periodSpan = (p: { start?: string; end?: string } | undefined): [number, number] | undefined =>
  p && [p.start ? span(p.start)[0] : -Infinity, p.end ? span(p.end)[1] : Infinity];

/** R4 date prefixes, search range s against target range t. */
export function dateMatches(prefix: string, s: [number, number], t: [number, number]): boolean {
  const contained = s[0] <= t[0] && t[1] <= s[1];
  switch (prefix) {
    case 'eq': return contained;
    case 'ne': return !contained;
    case 'gt': return t[1] > s[1];
    case 'lt': return t[0] < s[0];
    case 'ge': return t[1] > s[1] || contained;
    case 'le': return t[0] < s[0] || contained;
    case 'sa': return t[0] >= s[1];
    case 'eb': return t[1] <= s[0];
    default: throw new Error(`prefix ${prefix}`);
  }
}

/** Whether a CodeableConcept has a coding with this code (and system, when given). */
export const hasCoding = (cc: any, system: string | undefined, code: string): boolean =>
  (cc?.coding ?? []).some((c: any) => c.code === code && (system === undefined || c.system === system));

/** String search normal form: accents and case do not count. */
export const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

export interface Found {
  matches: Res[];
  included: Res[];
  pages: number;
  total?: number;
}

/** Runs a search and follows its next links to the end; fails on a non-200 answer. */
export async function searchAll(srv: TestServer, query: string, maxPages = 50): Promise<Found> {
  const found: Found = { matches: [], included: [], pages: 0 };
  let url: string | undefined = query;
  while (url) {
    const r = await call(srv, 'GET', url);
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.text.slice(0, 300)}`);
    const b = r.body as Bundle;
    if (found.pages === 0) found.total = b.total;
    for (const e of b.entry ?? []) {
      if (e.search?.mode === 'match') found.matches.push(e.resource as Res);
      else if (e.search?.mode === 'include') found.included.push(e.resource as Res);
    }
    if (++found.pages > maxPages) throw new Error(`more than ${maxPages} pages for ${query}`);
    url = b.link?.find((l) => l.relation === 'next')?.url;
  }
  return found;
}

/** Ids listed by hand, or a hand count with the filter that derives the same set from the files. */
export type Expected = string[] | { n: number; where: (r: Res) => boolean };

/** Asserts that type?query finds exactly the expected resources (all pages). */
export async function expectSearch(srv: TestServer, corpus: Corpus, type: string, query: string, expected: Expected): Promise<void> {
  const found = await searchAll(srv, `${type}?${query}${query.includes('_count=') ? '' : '&_count=500'}`);
  const got = found.matches.map((r) => r.id as string).sort();
  const want = Array.isArray(expected) ? [...expected].sort() : corpus.of(type).filter(expected.where).map((r) => r.id as string).sort();
  if (!Array.isArray(expected)) expect(want).toHaveLength(expected.n);
  else for (const id of want) expect(corpus.of(type).some((r) => r.id === id)).toBe(true);
  expect(got).toEqual(want);
}
