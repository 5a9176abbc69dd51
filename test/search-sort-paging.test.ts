import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { call as callServer, expectOutcome, put as putResource, startTestServer, type TestServer } from './harness.js';

// _sort on every indexed parameter type, keyset paging through next and previous links (also while
// resources are written between page requests), and _total (R4 search.html §3.1.1.4). Every
// expected order is worked out by hand from the fixtures below.

let srv: TestServer;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);
const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);

const loinc = 'http://loinc.org';
// each set of fixtures has its own identifier system, named by its id prefix: urn:test:sp for sp-1...
const systemOf = (id: string) => `urn:test:${id.split('-')[0]}`;
const tagged = (resourceType: string, id: string, rest: Record<string, unknown>) => ({
  resourceType,
  id,
  identifier: [{ system: systemOf(id), value: id }],
  ...rest,
});

// Patients: family and given are strings (normalised: "Çelik" sorts as "celik", "adams" before
// "Baker"), birthdate a date (a year is the range 1980-01-01..1981-01-01), gender a token.
// sp-4 has no family, birthdate or gender; sp-6 has two families, Young and Dunn.
const patients = [
  tagged('Patient', 'sp-1', { name: [{ family: 'Baker', given: ['Zoe'] }], birthDate: '1980-05-01', gender: 'female' }),
  tagged('Patient', 'sp-2', { name: [{ family: 'adams', given: ['Yuri'] }], birthDate: '1980', gender: 'male' }),
  tagged('Patient', 'sp-3', { name: [{ family: 'Çelik', given: ['Ann'] }], birthDate: '1990-01-01', gender: 'male' }),
  tagged('Patient', 'sp-4', { name: [{ given: ['Bob'] }] }),
  tagged('Patient', 'sp-5', { name: [{ family: 'Baker', given: ['Amy'] }], birthDate: '1980-05-01', gender: 'other' }),
  tagged('Patient', 'sp-6', { name: [{ family: 'Young', given: ['Carl'] }, { family: 'Dunn' }], birthDate: '1985-07-15', gender: 'female' }),
];

// Observations: date (so-2 a period 09:00-12:00, so-3 a whole day), value-quantity, subject
// (a reference), code (a token; so-4 has only text, so no code). so-4 has none of them.
const observation = (id: string, rest: Record<string, unknown>) => tagged('Observation', id, { status: 'final', ...rest });
const coded = (code: string) => ({ coding: [{ system: loinc, code }] });
const observations = [
  observation('so-1', { code: coded('8867-4'), effectiveDateTime: '2023-01-01T10:00:00Z', valueQuantity: { value: 72.5, unit: 'kg' }, subject: { reference: 'Patient/sp-3' } }),
  observation('so-2', {
    code: coded('29463-7'),
    effectivePeriod: { start: '2023-01-01T09:00:00Z', end: '2023-01-01T12:00:00Z' },
    valueQuantity: { value: 185, unit: 'lb' },
    subject: { reference: 'Patient/sp-1' },
  }),
  observation('so-3', { code: coded('15074-8'), effectiveDateTime: '2023-01-02', valueQuantity: { value: 6.3, unit: 'mmol/L' }, subject: { reference: 'Patient/sp-2' } }),
  observation('so-4', { code: { text: 'pending' } }),
  observation('so-5', { code: coded('8867-4'), effectiveDateTime: '2023-01-01T11:00:00Z', valueQuantity: { value: 72.5, unit: 'kg' }, subject: { reference: 'Patient/sp-1' } }),
];

// Multi-valued parameters: blood pressures with two component values (a quantity), and risk
// assessments with several predictions (probability is a number).
const bp = (id: string, values: number[]) =>
  observation(id, { code: coded('85354-9'), component: values.map((value, i) => ({ code: coded(i ? '8462-4' : '8480-6'), valueQuantity: { value, unit: 'mm[Hg]' } })) });
const pressures = [bp('sb-1', [120, 80]), bp('sb-2', [140, 60]), bp('sb-3', [125, 85]), bp('sb-4', [])];
const risk = (id: string, probabilities: number[]) =>
  tagged('RiskAssessment', id, { status: 'final', subject: { reference: 'Patient/sp-1' }, prediction: probabilities.map((p) => ({ probabilityDecimal: p })) });
const risks = [risk('sr-1', [0.2, 0.7]), risk('sr-2', [0.5]), risk('sr-3', [0.1, 0.9]), risk('sr-4', [])];

beforeAll(async () => {
  srv = await startTestServer();
  for (const r of [...patients, ...observations, ...pressures, ...risks]) await put(r);
});
afterAll(async () => srv?.stop());

const matchIds = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string);
const link = (b: Bundle, relation: string) => b.link?.find((l) => l.relation === relation)?.url;
const outcomes = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'outcome').map((e) => e.resource as OperationOutcome);
const tagOf = (id: string) => `identifier=${encodeURIComponent(`${systemOf(id)}|`)}`;
const tag = tagOf('sp');
const ids = (prefix: string, ...n: number[]) => n.map((i) => `${prefix}-${i}`);

// Ascending sorts by the lowest value, descending by the highest; missing values last either way;
// ties by id (ascending whatever the key's direction).
const sortCases: [string, string, string[]][] = [
  ['Patient', 'family', ids('sp', 2, 1, 5, 3, 6, 4)],
  ['Patient', '-family', ids('sp', 6, 3, 1, 5, 2, 4)],
  ['Patient', 'given', ids('sp', 5, 3, 4, 6, 2, 1)],
  ['Patient', '-given', ids('sp', 1, 2, 6, 4, 3, 5)],
  // sp-2 (1980) starts before sp-1 (1980-05-01) but ends after it
  ['Patient', 'birthdate', ids('sp', 2, 1, 5, 6, 3, 4)],
  ['Patient', '-birthdate', ids('sp', 3, 6, 2, 1, 5, 4)],
  ['Patient', 'gender', ids('sp', 1, 6, 2, 3, 5, 4)],
  ['Patient', '-gender', ids('sp', 5, 2, 3, 1, 6, 4)],
  ['Patient', 'gender,-birthdate', ids('sp', 6, 1, 3, 2, 5, 4)],
  ['Patient', 'family,given', ids('sp', 2, 5, 1, 3, 6, 4)],
  ['Patient', '-family,-_id', ids('sp', 6, 3, 5, 1, 2, 4)],
  ['Patient', '_id', ids('sp', 1, 2, 3, 4, 5, 6)],
  ['Patient', '-_id', ids('sp', 6, 5, 4, 3, 2, 1)],
  ['Observation', 'date', ids('so', 2, 1, 5, 3, 4)],
  ['Observation', '-date', ids('so', 3, 2, 5, 1, 4)],
  ['Observation', 'value-quantity', ids('so', 3, 1, 5, 2, 4)],
  ['Observation', '-value-quantity', ids('so', 2, 1, 5, 3, 4)],
  ['Observation', 'value-quantity,-date', ids('so', 3, 5, 1, 2, 4)],
  ['Observation', 'subject', ids('so', 2, 5, 3, 1, 4)],
  ['Observation', '-subject', ids('so', 1, 3, 2, 5, 4)],
  ['Observation', 'code', ids('so', 3, 2, 1, 5, 4)],
  ['Observation', '-code', ids('so', 1, 5, 2, 3, 4)],
  ['Observation', 'component-value-quantity', ids('sb', 2, 1, 3, 4)],
  ['Observation', '-component-value-quantity', ids('sb', 2, 3, 1, 4)],
  // lowest first: 0.1 (sr-3), 0.2 (sr-1), 0.5 (sr-2); highest first: 0.9 (sr-3), 0.7 (sr-1), 0.5 (sr-2)
  ['RiskAssessment', 'probability', ids('sr', 3, 1, 2, 4)],
  ['RiskAssessment', '-probability', ids('sr', 3, 1, 2, 4)],
];

describe('_sort', () => {
  test.each(sortCases)('%s?_sort=%s', async (type, sort, expected) => {
    const r = await call('GET', `${type}?${tagOf(expected[0])}&_sort=${encodeURIComponent(sort)}&_count=50`);
    expect(r.status).toBe(200);
    expect(matchIds(r.body)).toEqual(expected);
    expect(outcomes(r.body)).toEqual([]);
    expect(link(r.body, 'self')).toContain(`_sort=${encodeURIComponent(sort)}`);
  });

  test.each(sortCases)('%s?_sort=%s, one row a page, forwards by next and back by previous', async (type, sort, expected) => {
    const forwards: string[] = [];
    let url: string | undefined = `${type}?${tagOf(expected[0])}&_sort=${encodeURIComponent(sort)}&_count=1`;
    let last: Bundle | undefined;
    while (url) {
      const r = await call('GET', url);
      expect(r.status).toBe(200);
      forwards.push(...matchIds(r.body));
      last = r.body as Bundle;
      url = link(last, 'next');
      expect(forwards.length).toBeLessThanOrEqual(expected.length);
    }
    expect(forwards).toEqual(expected);
    const backwards: string[] = [...matchIds(last as Bundle)];
    let page = last as Bundle;
    for (let prev = link(page, 'previous'); prev; prev = link(page, 'previous')) {
      page = (await call('GET', prev)).body as Bundle;
      backwards.unshift(...matchIds(page));
      expect(backwards.length).toBeLessThanOrEqual(expected.length);
    }
    expect(backwards).toEqual(expected);
  });

  test('an unknown sort key is reported in an outcome entry and the others still apply', async () => {
    const r = await call('GET', `Patient?${tag}&_sort=colour,-family&_count=50`);
    expect(r.status).toBe(200);
    expect(matchIds(r.body)).toEqual(ids('sp', 6, 3, 1, 5, 2, 4));
    const issues = outcomes(r.body).flatMap((o) => o.issue ?? []);
    expect(issues).toHaveLength(1);
    expect(issues[0].severity).toBe('warning');
    expect(issues[0].diagnostics).toContain('colour');
    expect(new URL(link(r.body, 'self') as string).searchParams.getAll('_sort')).toEqual(['-family']);
  });

  test.each(['colour', 'component-code-value-quantity', 'family:exact'])('_sort=%s is refused under handling=strict', async (key) => {
    const lenient = await call('GET', `Observation?${tagOf('so')}&_sort=${key}`);
    expect(lenient.status).toBe(200);
    expect(outcomes(lenient.body)).toHaveLength(1);
    const strict = await call('GET', `Observation?${tagOf('so')}&_sort=${key}`, undefined, { prefer: 'handling=strict' });
    expect(strict.status).toBe(400);
    expectOutcome(strict, 'invalid');
  });
});

describe('paging links', () => {
  const first = `Patient?${tag}&_sort=family&_count=2`;

  test('previous returns the prior page and the first page has none (with the FHIR client)', async () => {
    const page1 = (await srv.client.search({ resourceType: 'Patient', searchParams: { identifier: `${systemOf('sp')}|`, _sort: 'family', _count: 2 } })) as unknown as Bundle;
    expect(matchIds(page1)).toEqual(ids('sp', 2, 1));
    expect(link(page1, 'previous')).toBeUndefined();
    const page2 = (await srv.client.nextPage({ bundle: page1 as never })) as unknown as Bundle;
    expect(matchIds(page2)).toEqual(ids('sp', 5, 3));
    const page3 = (await srv.client.nextPage({ bundle: page2 as never })) as unknown as Bundle;
    expect(matchIds(page3)).toEqual(ids('sp', 6, 4));
    expect(link(page3, 'next')).toBeUndefined();
    const back2 = (await srv.client.prevPage({ bundle: page3 as never })) as unknown as Bundle;
    expect(matchIds(back2)).toEqual(ids('sp', 5, 3));
    const back1 = (await srv.client.prevPage({ bundle: back2 as never })) as unknown as Bundle;
    expect(matchIds(back1)).toEqual(ids('sp', 2, 1));
    expect(link(back1, 'previous')).toBeUndefined();
    expect(matchIds((await call('GET', link(back1, 'next') as string)).body)).toEqual(ids('sp', 5, 3));
  });

  test('the self link reproduces the page', async () => {
    const page1 = (await call('GET', first)).body as Bundle;
    const page2 = (await call('GET', link(page1, 'next') as string)).body as Bundle;
    const self = link(page2, 'self') as string;
    expect(self).toContain('_cursor=');
    expect(matchIds((await call('GET', self)).body)).toEqual(matchIds(page2));
    expect(matchIds(page2)).toEqual(ids('sp', 5, 3));
  });

  test('_offset still pages without a cursor; its links continue by cursor', async () => {
    const r = await call('GET', `Patient?${tag}&_sort=_id&_count=2&_offset=2`);
    expect(matchIds(r.body)).toEqual(ids('sp', 3, 4));
    expect(link(r.body, 'self')).toContain('_offset=2');
    const next = link(r.body, 'next') as string;
    const previous = link(r.body, 'previous') as string;
    expect(next).not.toContain('_offset');
    expect(matchIds((await call('GET', next)).body)).toEqual(ids('sp', 5, 6));
    expect(matchIds((await call('GET', previous)).body)).toEqual(ids('sp', 1, 2));
  });

  test('over several types, resources with the same id are each paged once', async () => {
    await put({ resourceType: 'Patient', id: 'same-id' });
    await put({ resourceType: 'Observation', id: 'same-id', status: 'final', code: { text: 'x' } });
    const seen: string[] = [];
    let url: string | undefined = '?_type=Patient,Observation&_id=same-id&_sort=_id&_count=1';
    while (url && seen.length < 5) {
      const b = (await call('GET', url)).body as Bundle;
      seen.push(...(b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
      url = link(b, 'next');
    }
    // the type follows the id in the order
    expect(seen).toEqual(['Observation/same-id', 'Patient/same-id']);
  });

  const cursorOf = async () => new URL(link((await call('GET', first)).body, 'next') as string).searchParams.get('_cursor') as string;
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);

  test.each([
    ['an altered position', (c: string) => flip(c, 3), 'family'],
    ['an altered checksum', (c: string) => flip(c, c.length - 1), 'family'],
    ['a cursor of another sort', (c: string) => c, 'birthdate'],
    ['no checksum', (c: string) => c.split('.')[0], 'family'],
    ['not base64', () => '!!!.???', 'family'],
    ['garbage', () => 'abc', 'family'],
  ])('%s is a 400', async (_, change, sort) => {
    const r = await call('GET', `Patient?${tag}&_sort=${sort}&_count=2&_cursor=${encodeURIComponent(change(await cursorOf()))}`);
    expect(r.status).toBe(400);
    expectOutcome(r, 'invalid');
  });

  test('a cursor of another resource type is a 400', async () => {
    const r = await call('GET', `Observation?${tag}&_sort=family&_count=2&_cursor=${encodeURIComponent(await cursorOf())}`);
    expect(r.status).toBe(400);
    expectOutcome(r, 'invalid');
  });

  test('_cursor with _offset is a 400', async () => {
    const r = await call('GET', `${first}&_offset=2&_cursor=${encodeURIComponent(await cursorOf())}`);
    expect(r.status).toBe(400);
    expectOutcome(r, 'invalid');
  });
});

describe('a paging walk while resources are written', () => {
  const pad = (n: number) => String(n).padStart(2, '0');
  const walker = (id: string, family: string, gender = 'unknown') => ({
    resourceType: 'Patient',
    id,
    identifier: [{ system: systemOf(id), value: id }],
    name: [{ family }],
    gender,
  });

  test.each<[string, Record<string, string>]>([
    // newest first: every write lands before the cursor, where offset paging would repeat rows
    ['the default order', {}],
    // new families fall between the existing ones, ahead of the cursor and behind it
    ['_sort=family', { _sort: 'family' }],
  ])('%s: every resource that existed and was not changed comes exactly once', async (label, sortParam) => {
    const prefix = label.startsWith('_') ? 'wf' : 'wd';
    const initial = Array.from({ length: 53 }, (_, i) => `${prefix}-${pad(i)}`);
    const families = new Map<string, string>();
    let created = 0;
    const create = async (id: string, family: string) => {
      families.set(id, family);
      await put(walker(id, family));
    };
    for (const [i, id] of initial.entries()) await create(id, `walk${pad(i)}`);
    const createNew = (family: string) => create(`${prefix}-new-${created++}`, family);
    // an update changes the gender and keeps the family
    const changed = new Set<string>();
    const update = async (id: string) => {
      changed.add(id);
      const r = await call('PUT', `Patient/${id}`, walker(id, families.get(id) as string, 'other'));
      expect(r.status).toBe(200);
    };

    // another task writes while the walk goes on (a dozen writes at most, so most stay untouched)
    let walking = true;
    const background = (async () => {
      for (let n = 0; walking && n < 12; n++) {
        await createNew(`walk${pad((n * 7) % 53)}b`);
        await update(initial[(n * 11 + 5) % 53]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const seen: string[] = [];
    try {
      let page = (await srv.client.search({
        resourceType: 'Patient',
        searchParams: { identifier: `${systemOf(prefix)}|`, _count: 10, ...sortParam },
      })) as unknown as Bundle | undefined;
      for (let n = 0; page; n++) {
        const got = matchIds(page);
        seen.push(...got);
        // between two pages: one resource before the cursor and one after it are created, and one
        // already seen and one not yet seen are changed
        await createNew(`walk${pad(Math.max(0, n * 10 - 3))}a`);
        await createNew(`walk${pad(Math.min(52, n * 10 + 15))}a`);
        if (got.length) await update(got[0]);
        const unseen = initial.find((id) => !seen.includes(id) && !changed.has(id));
        if (unseen) await update(unseen);
        page = (await srv.client.nextPage({ bundle: page as never })) as unknown as Bundle | undefined;
        expect(n).toBeLessThan(30);
      }
    } finally {
      walking = false;
      await background;
    }

    const times = (id: string) => seen.filter((s) => s === id).length;
    const untouched = initial.filter((id) => !changed.has(id));
    expect(untouched.length).toBeGreaterThan(10);
    expect(untouched.filter((id) => times(id) !== 1)).toEqual([]);
    // nothing comes twice, changed or not: no change here moves a resource past the cursor (the
    // default order puts it first, the family it sorts by stays)
    expect(seen.filter((id, i) => seen.indexOf(id) !== i)).toEqual([]);
    if (sortParam._sort === 'family') {
      // the walk is in family order, so each page continues where the last one stopped
      const walked = seen.map((id) => families.get(id) as string);
      expect(walked).toEqual([...walked].sort());
    }
  });
});

describe('_total', () => {
  const base = `Patient?${tag}`;
  test.each([
    // without _total, a total only when the page holds every match
    ['&_count=2', undefined],
    ['&_count=10', 6],
    ['&_count=2&_total=accurate', 6],
    ['&_count=10&_total=accurate', 6],
    ['&_count=2&_total=none', undefined],
    ['&_count=10&_total=none', undefined],
    // a page holding every match knows the number exactly
    ['&_count=10&_total=estimate', 6],
    ['&_summary=count', 6],
    ['&_summary=count&_total=none', 6],
    ['&family=baker&_summary=count', 2],
  ])(`${base}%s → %p`, async (query, total) => {
    const r = await call('GET', `${base}${query}`);
    expect(r.status).toBe(200);
    expect((r.body as Bundle).total).toBe(total);
    if (query.includes('_summary=count')) expect(matchIds(r.body)).toEqual([]);
  });

  test('_total=accurate counts on a page reached through a cursor', async () => {
    const page1 = (await call('GET', `${base}&_count=2&_total=accurate`)).body as Bundle;
    const page2 = (await call('GET', link(page1, 'next') as string)).body as Bundle;
    expect(matchIds(page2)).toHaveLength(2);
    expect(page2.total).toBe(6);
  });

  test('_total=estimate is the planner estimate, never below what the page has shown', async () => {
    const r = (await call('GET', `${base}&_count=2&_total=estimate`)).body as Bundle;
    expect(matchIds(r)).toHaveLength(2);
    // two shown and a next page: at least three
    expect(Number.isInteger(r.total)).toBe(true);
    expect(r.total).toBeGreaterThanOrEqual(3);
    expect(link(r, 'self')).toContain('_total=estimate');
    // with _count=0 nothing is read, and PostgreSQL never estimates fewer than one row, although
    // nothing matches (an exact count says 0)
    const none = (await call('GET', 'Patient?_id=nobody&_count=0&_total=estimate')).body as Bundle;
    expect(none.total).toBe(1);
    const exact = (await call('GET', 'Patient?_id=nobody&_count=0&_total=accurate')).body as Bundle;
    expect(exact.total).toBe(0);
  });

  test('an unknown _total is a warning, and a 400 under handling=strict', async () => {
    const r = await call('GET', `${base}&_total=lots&_count=10`);
    expect(r.status).toBe(200);
    expect(matchIds(r.body)).toHaveLength(6);
    expect(outcomes(r.body).flatMap((o) => o.issue ?? []).map((i) => i.diagnostics)).toEqual([expect.stringContaining('_total')]);
    expect(link(r.body, 'self')).not.toContain('_total');
    const strict = await call('GET', `${base}&_total=lots`, undefined, { prefer: 'handling=strict' });
    expect(strict.status).toBe(400);
    expectOutcome(strict, 'invalid');
  });
});
