import type { Parameters, ParametersParameter, Patient } from '@medplum/fhirtypes';
import { call as callServer, expectOutcome, startTestServer, type TestServer } from './harness.js';

// FHIRPath Patch (R4 fhirpatch.html): PATCH with a Parameters body of operations.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);

type Part = Omit<ParametersParameter, 'name'> & { name: string };
const op = (...part: Part[]): ParametersParameter => ({ name: 'operation', part });
const patch = (...operation: ParametersParameter[]): Parameters => ({ resourceType: 'Parameters', parameter: operation });

const base: Patient = {
  resourceType: 'Patient',
  active: true,
  birthDate: '1940-02-03',
  name: [
    { family: 'Martin', given: ['Anne', 'Marie'] },
    { use: 'maiden', family: 'Dupont' },
  ],
  identifier: [{ system: 'urn:serium:pseudonym', value: 'fp-1' }],
};

let n = 0;
async function fresh(): Promise<string> {
  const id = `fp-${++n}`;
  const r = await call('PUT', `Patient/${id}`, { ...base, id });
  expect(r.status).toBe(201);
  return id;
}

const cases: [string, Parameters, (p: Patient) => void][] = [
  [
    'replace a primitive',
    patch(op({ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.birthDate' }, { name: 'value', valueDate: '1941-03-04' })),
    (p) => expect(p.birthDate).toBe('1941-03-04'),
  ],
  [
    'delete one element of a list by where()',
    patch(op({ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: "Patient.name.where(use = 'maiden')" })),
    (p) => expect(p.name).toEqual([{ family: 'Martin', given: ['Anne', 'Marie'] }]),
  ],
  [
    'delete a single element',
    patch(op({ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: 'Patient.active' })),
    (p) => expect(p.active).toBeUndefined(),
  ],
  [
    'delete of nothing is a no-op',
    patch(op({ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: 'Patient.deceased' })),
    (p) => expect(p.name).toHaveLength(2),
  ],
  [
    'add a repeating element with a complex value built from parts',
    patch(
      op(
        { name: 'type', valueCode: 'add' },
        { name: 'path', valueString: 'Patient' },
        { name: 'name', valueString: 'telecom' },
        { name: 'value', part: [{ name: 'system', valueCode: 'phone' }, { name: 'value', valueString: '+33 1 23 45 67 89' }] },
      ),
    ),
    (p) => expect(p.telecom).toEqual([{ system: 'phone', value: '+33 1 23 45 67 89' }]),
  ],
  [
    'add a single element',
    patch(op({ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'gender' }, { name: 'value', valueCode: 'female' })),
    (p) => expect(p.gender).toBe('female'),
  ],
  [
    'insert into a list at an index',
    patch(op({ name: 'type', valueCode: 'insert' }, { name: 'path', valueString: 'Patient.name[0].given' }, { name: 'index', valueInteger: 1 }, { name: 'value', valueString: 'Louise' })),
    (p) => expect(p.name?.[0].given).toEqual(['Anne', 'Louise', 'Marie']),
  ],
  [
    'move within a list',
    patch(op({ name: 'type', valueCode: 'move' }, { name: 'path', valueString: 'Patient.name' }, { name: 'source', valueInteger: 1 }, { name: 'destination', valueInteger: 0 })),
    (p) => expect(p.name?.map((x) => x.family)).toEqual(['Dupont', 'Martin']),
  ],
  [
    'replace a complex element selected by index',
    patch(op({ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.name[1]' }, { name: 'value', valueHumanName: { family: 'Durand' } })),
    (p) => expect(p.name?.[1]).toEqual({ family: 'Durand' }),
  ],
  [
    'several operations apply in order',
    patch(
      op({ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: 'Patient.name[1]' }),
      op({ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.name[0].family' }, { name: 'value', valueString: 'Martin-Dupont' }),
    ),
    (p) => expect(p.name).toEqual([{ family: 'Martin-Dupont', given: ['Anne', 'Marie'] }]),
  ],
];

test.each(cases)('%s', async (_name, body, check) => {
  const id = await fresh();
  const r = await call('PATCH', `Patient/${id}`, body);
  expect(r.status).toBe(200);
  expect(r.body.meta.versionId).toBe('2');
  check(r.body as Patient);
  const read = await call('GET', `Patient/${id}`);
  check(read.body as Patient);
});

const failures: [string, Parameters, number][] = [
  ['replace of nothing', patch(op({ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.gender' }, { name: 'value', valueCode: 'male' })), 422],
  ['a path that selects several elements', patch(op({ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: 'Patient.name' })), 422],
  ['add to an element that already has a value', patch(op({ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'birthDate' }, { name: 'value', valueDate: '1950' })), 422],
  ['insert past the end', patch(op({ name: 'type', valueCode: 'insert' }, { name: 'path', valueString: 'Patient.name' }, { name: 'index', valueInteger: 5 }, { name: 'value', valueHumanName: { family: 'X' } })), 422],
  ['an unknown operation type', patch(op({ name: 'type', valueCode: 'upsert' }, { name: 'path', valueString: 'Patient.active' })), 400],
  ['invalid FHIRPath', patch(op({ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: 'Patient.name[' })), 400],
  ['no operation', { resourceType: 'Parameters', parameter: [] }, 400],
  ['a result that is not valid FHIR', patch(op({ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.birthDate' }, { name: 'value', valueString: 'yesterday' })), 400],
];

test.each(failures)('refused, nothing stored: %s', async (_name, body, status) => {
  const id = await fresh();
  const r = await call('PATCH', `Patient/${id}`, body);
  expect(r.status).toBe(status);
  expectOutcome(r);
  const read = await call('GET', `Patient/${id}`);
  expect(read.body.meta.versionId).toBe('1');
  expect(read.body.name).toEqual(base.name);
  expect(read.body.birthDate).toBe(base.birthDate);
});

test('a FHIRPath Patch inside a transaction', async () => {
  const id = await fresh();
  const body = patch(op({ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.active' }, { name: 'value', valueBoolean: false }));
  const r = await call('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: body, request: { method: 'PATCH', url: `Patient/${id}` } }] });
  expect(r.status).toBe(200);
  expect(r.body.entry[0].response.status).toMatch(/^200/);
  expect((await call('GET', `Patient/${id}`)).body.active).toBe(false);
});

test('the CapabilityStatement lists both patch formats', async () => {
  const cs = (await call('GET', 'metadata')).body;
  expect(cs.patchFormat).toEqual(expect.arrayContaining(['application/json-patch+json', 'application/fhir+json']));
});
