import type { Bundle } from '@medplum/fhirtypes';
import { startTestServer, type TestServer, call as callServer, put as putResource, expectOutcome } from './harness.js';

// Observation searches answered from the denormalised observation index (subject, code, date)
// and Observation/$lastn (R4 observation-operation-lastn). Expected ids are worked out by hand
// from the fixtures below; "day" is 2026-03-01 (UTC).

let srv: TestServer;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);
const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);

const loinc = 'http://loinc.org';
const mdc = 'urn:iso:std:iso:11073:10101';
const local = 'http://example.org/codes';
const categorySystem = 'http://terminology.hl7.org/CodeSystem/observation-category';
const category = (code: string) => [{ coding: [{ system: categorySystem, code }] }];

const obs = (id: string, subject: string, codes: [string, string][], cat: string, effective: object) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  category: category(cat),
  code: { coding: codes.map(([system, code]) => ({ system, code })) },
  subject: { reference: subject },
  ...effective,
});
const hr: [string, string][] = [[loinc, '8867-4'], [mdc, '147842']];
const spo2: [string, string][] = [[loinc, '2708-6'], [loinc, '59408-5']];
const at = (t: string) => ({ effectiveDateTime: t });

const fixtures = [
  obs('hr-0', 'Patient/p1', hr, 'vital-signs', at('2026-02-28T23:59:59Z')),
  obs('hr-1', 'Patient/p1', hr, 'vital-signs', at('2026-03-01T08:00:00Z')),
  obs('hr-2', 'Patient/p1', hr, 'vital-signs', at('2026-03-01T20:00:00Z')),
  obs('hr-3', 'Patient/p1', hr, 'vital-signs', at('2026-03-02T00:00:00Z')),
  obs('hr-p2', 'Patient/p2', hr, 'vital-signs', at('2026-03-01T09:00:00Z')),
  obs('spo2-1', 'Patient/p1', spo2, 'vital-signs', at('2026-03-01T08:00:00Z')),
  obs('spo2-2', 'Patient/p1', spo2, 'vital-signs', at('2026-03-01T12:00:00Z')),
  obs('spo2-3', 'Patient/p1', spo2, 'vital-signs', at('2026-03-01T12:00:00Z')),
  obs('weight', 'Patient/p1', [[loinc, '29463-7']], 'vital-signs', { effectivePeriod: { start: '2026-02-27', end: '2026-03-03' } }),
  obs('bp-undated', 'Patient/p1', [[loinc, '85354-9']], 'vital-signs', {}),
  // glucose: 41653-7 and a local code appear together on glu-b, so the three form one group
  obs('glu-a', 'Patient/p1', [[loinc, '41653-7']], 'laboratory', at('2026-03-01T07:00:00Z')),
  obs('glu-b', 'Patient/p1', [[loinc, '41653-7'], [local, 'glu']], 'laboratory', at('2026-03-01T06:00:00Z')),
  obs('glu-c', 'Patient/p1', [[local, 'glu']], 'laboratory', at('2026-03-01T10:00:00Z')),
];

beforeAll(async () => {
  srv = await startTestServer();
  await put({ resourceType: 'Patient', id: 'p1' });
  await put({ resourceType: 'Patient', id: 'p2' });
  for (const o of fixtures) await put(o);
});
afterAll(() => srv?.stop());

const ids = (b: Bundle): string[] => (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id as string).sort();

async function searchIds(query: string): Promise<string[]> {
  const r = await call('GET', `Observation?${query}&_count=100`);
  expect(r.status).toBe(200);
  expect((r.body as Bundle).entry?.some((e) => e.search?.mode === 'outcome')).toBeFalsy();
  return ids(r.body);
}

const day = 'date=ge2026-03-01&date=lt2026-03-02';
const p1Everything = ['bp-undated', 'glu-a', 'glu-b', 'glu-c', 'hr-0', 'hr-1', 'hr-2', 'hr-3', 'spo2-1', 'spo2-2', 'spo2-3', 'weight'];

describe('subject, code and date', () => {
  test.each([
    // hr-0 ends at 00:00:00 (exclusive), hr-3 starts at the next day's 00:00:00: both outside
    [`subject=Patient/p1&code=${loinc}|8867-4&${day}`, ['hr-1', 'hr-2']],
    ['patient=p1&code=8867-4&date=2026-03-01', ['hr-1', 'hr-2']],
    ['subject:Patient=p1&code=8867-4&date=2026-03-01', ['hr-1', 'hr-2']],
    ['subject=p2&code=8867-4', ['hr-p2']],
    [`code=${mdc}|147842&date=2026-03-01`, ['hr-1', 'hr-2', 'hr-p2']],
    // weight's period runs past the day, so it is not contained in it (eq), but starts before it (le)
    ['subject=Patient/p1&date=2026-03-01', ['glu-a', 'glu-b', 'glu-c', 'hr-1', 'hr-2', 'spo2-1', 'spo2-2', 'spo2-3']],
    ['subject=Patient/p1&code=29463-7&date=le2026-03-01', ['weight']],
    ['subject=Patient/p1&code=29463-7&date=ap2026-03-01', ['weight']],
    ['subject=Patient/p1&code=29463-7&date=gt2026-03-03', []],
    // two code parameters: the Observation must carry both codings
    ['patient=p1&code=2708-6&code=59408-5', ['spo2-1', 'spo2-2', 'spo2-3']],
    ['patient=p1&code=2708-6&code=8867-4', []],
    ['patient=p1&code=2708-6,29463-7&date=ge2026-03-01T10:00:00Z', ['spo2-2', 'spo2-3', 'weight']],
    // an Observation without an effective time matches no date condition
    ['subject=Patient/p1&code=85354-9', ['bp-undated']],
    ['subject=Patient/p1&code=85354-9&date=ge2000', []],
    ['subject=Patient/p1&code=85354-9&date=ne2026-03-01', []],
    ['patient=p2&date=ge2026-03-01T09:00:00Z&date=le2026-03-01T09:00:00Z', ['hr-p2']],
    ['subject=Patient/p1', p1Everything],
    ['subject=Patient/p1&category=laboratory&date=lt2026-03-01T07:00:00Z', ['glu-b']],
    // a category with its system goes to the generic token index; the bare code to observation_index
    [`subject=Patient/p1&category=${categorySystem}|laboratory`, ['glu-a', 'glu-b', 'glu-c']],
    [`subject=Patient/p1&category=${categorySystem}|vital-signs&code=8867-4&date=2026-03-01`, ['hr-1', 'hr-2']],
    ['subject=Patient/p1&category=laboratory,vital-signs&date=2026-03-01T08:00:00Z', ['hr-1', 'spo2-1']],
    ['patient=p1&category=laboratory,nothing&date=ge2026-03-01T07:00:00Z', ['glu-a', 'glu-c']],
    ['patient=p1&category=nothing', []],
  ])('%s', async (query, expected) => {
    expect(await searchIds(query)).toEqual(expected);
  });

  test('an absolute reference under the server base is the same as a local one', async () => {
    expect(await searchIds(`subject=${encodeURIComponent(`${srv.baseUrl}/Patient/p2`)}&code=8867-4`)).toEqual(['hr-p2']);
  });

  test.each([
    [`code=${loinc}|8867-4`, 4 + 1],
    ['code=8867-4,147842', 5], // two codings of the same Observations: each counted once
    ['subject=Patient/p1', p1Everything.length],
    [`subject=Patient/p1&code=${loinc}|2708-6&${day}`, 3],
  ])('_total=accurate counts each Observation once: %s', async (query, n) => {
    const counted = await call('GET', `Observation?${query}&_total=accurate&_count=1`);
    expect(counted.body.total).toBe(n);
    const summary = await call('GET', `Observation?${query}&_summary=count`);
    expect(summary.body.total).toBe(n);
  });
});

describe('Observation/$lastn', () => {
  const lastn = async (query: string): Promise<string[]> => {
    const r = await call('GET', `Observation/$lastn?${query}`);
    expect(r.status).toBe(200);
    expect(r.body.type).toBe('searchset');
    expect(r.body.total).toBe((r.body.entry ?? []).length);
    return ids(r.body);
  };

  test.each([
    // hr-3 is the newest heart rate; spo2-2 and spo2-3 tie at 12:00, so both come; the undated BP cannot rank
    ['patient=p1&category=vital-signs', ['hr-3', 'spo2-2', 'spo2-3', 'weight']],
    ['patient=Patient/p1&category=vital-signs&max=2', ['hr-2', 'hr-3', 'spo2-2', 'spo2-3', 'weight']],
    ['subject=Patient/p1&category=vital-signs&max=3', ['hr-1', 'hr-2', 'hr-3', 'spo2-1', 'spo2-2', 'spo2-3', 'weight']],
    // search parameters filter before ranking
    ['patient=p1&category=vital-signs&date=lt2026-03-02', ['hr-2', 'spo2-2', 'spo2-3', 'weight']],
    ['patient=p1&code=8867-4', ['hr-3']],
    // one transitive group: glu-c is the newest of {41653-7, glu}
    ['patient=p1&category=laboratory', ['glu-c']],
    ['patient=p1&category=laboratory&max=2', ['glu-a', 'glu-c']],
    // the code parameter filters: glu-c carries only the local code
    [`patient=p1&code=${loinc}|41653-7`, ['glu-a']],
    ['patient=p2&category=vital-signs', ['hr-p2']],
    ['patient=nobody&category=vital-signs', []],
    ['patient=p2&category=laboratory', []],
    [`patient=p1&category=${categorySystem}|laboratory`, ['glu-c']],
    ['patient=p1&category=laboratory,activity&date=lt2026-03-01T10:00:00Z', ['glu-a']],
  ])('%s', async (query, expected) => {
    expect(await lastn(query)).toEqual(expected);
  });

  test('newest first within a group', async () => {
    const r = await call('GET', 'Observation/$lastn?patient=p1&code=8867-4&max=3');
    expect(r.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['hr-3', 'hr-2', 'hr-1']);
  });

  test('through a FHIR client, by GET and by POST of Parameters', async () => {
    const viaGet = (await srv.client.operation({
      resourceType: 'Observation',
      name: '$lastn',
      method: 'GET',
      input: { patient: 'p1', category: 'vital-signs' },
    })) as unknown as Bundle;
    expect(ids(viaGet)).toEqual(['hr-3', 'spo2-2', 'spo2-3', 'weight']);
    const viaPost = (await srv.client.operation({
      resourceType: 'Observation',
      name: 'lastn',
      input: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'patient', valueReference: { reference: 'Patient/p1' } },
          { name: 'category', valueString: 'vital-signs' },
          { name: 'max', valueInteger: 2 },
        ],
      },
    })) as unknown as Bundle;
    expect(ids(viaPost)).toEqual(['hr-2', 'hr-3', 'spo2-2', 'spo2-3', 'weight']);
  });

  test.each([
    ['category=vital-signs', 'no subject'],
    ['patient=p1', 'neither category nor code'],
    ['patient=p1,p2&category=vital-signs', 'two subjects'],
    ['patient=p1&patient=p2&category=vital-signs', 'two subject parameters'],
    ['patient=p1&category=vital-signs&max=0', 'max 0'],
    ['patient=p1&category=vital-signs&max=two', 'max not a number'],
    ['patient=Device/d1&category=vital-signs', 'a patient that is not a Patient'],
    ['patient=http://elsewhere.org/Patient/1&category=vital-signs', 'a remote subject'],
  ])('%s answers 400 (%s)', async (query) => {
    const r = await call('GET', `Observation/$lastn?${query}`);
    expect(r.status).toBe(400);
    expectOutcome(r);
  });

  test('an unknown parameter is reported, or rejected under handling=strict', async () => {
    const lenient = await call('GET', 'Observation/$lastn?patient=p1&category=vital-signs&bogus=1');
    expect(lenient.status).toBe(200);
    expect(lenient.body.entry.some((e: { search: { mode: string } }) => e.search.mode === 'outcome')).toBe(true);
    const strict = await call('GET', 'Observation/$lastn?patient=p1&category=vital-signs&bogus=1', undefined, { prefer: 'handling=strict' });
    expect(strict.status).toBe(400);
  });

  test('is listed for Observation only in the CapabilityStatement', async () => {
    const cs = (await call('GET', 'metadata')).body;
    const ops = (type: string) => cs.rest[0].resource.find((r: { type: string }) => r.type === type).operation.map((o: { name: string }) => o.name);
    expect(ops('Observation')).toContain('lastn');
    expect(ops('Patient')).not.toContain('lastn');
  });
});

describe('the index follows every write', () => {
  test('an update re-indexes and a delete removes', async () => {
    await put(obs('moving', 'Patient/p2', [[loinc, '9279-1']], 'vital-signs', at('2026-03-01T05:00:00Z')));
    expect(await searchIds('subject=Patient/p2&code=9279-1&date=2026-03-01')).toEqual(['moving']);
    const r = await call('PUT', 'Observation/moving', obs('moving', 'Patient/p1', [[loinc, '8310-5']], 'vital-signs', at('2026-03-05T05:00:00Z')));
    expect(r.status).toBe(200);
    expect(await searchIds('subject=Patient/p2&code=9279-1')).toEqual([]);
    expect(await searchIds('subject=Patient/p1&code=8310-5&date=2026-03-05')).toEqual(['moving']);
    expect(await call('GET', 'Observation/$lastn?patient=p1&code=8310-5').then((x) => ids(x.body))).toEqual(['moving']);
    expect((await call('DELETE', 'Observation/moving')).status).toBe(200);
    expect(await searchIds('subject=Patient/p1&code=8310-5')).toEqual([]);
    expect(await call('GET', 'Observation/$lastn?patient=p1&code=8310-5').then((x) => ids(x.body))).toEqual([]);
    expect((await call('GET', `Observation?code=${loinc}|8310-5&_summary=count`)).body.total).toBe(0);
  });
});
