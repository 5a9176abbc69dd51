import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Bundle, Observation, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { fhirJson, startTestServer, type TestServer } from './harness.js';

// R4 http.html#status: 400 for a resource that fails basic FHIR validation, 404 for an unknown
// type, 422 for one that violates a profile it claims. Every failure is an OperationOutcome and
// stores nothing. $validate (R4 resource-operation-validate) answers 200 and stores nothing.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());

const sys = 'http://example.org/validation';
const heartrate = 'http://hl7.org/fhir/StructureDefinition/heartrate';

/** The answer: the stored Observation, or an OperationOutcome. */
type Answer = Observation & Pick<OperationOutcome, 'issue'>;

async function send(method: string, path: string, body: unknown): Promise<{ status: number; body: Answer }> {
  const res = await srv.fetch(path, { method, headers: fhirJson, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}
const count = async (type: string, value: string) => {
  const res = await srv.fetch(`${type}?identifier=${sys}|${value}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as Bundle).entry?.length ?? 0;
};
const issueAt = (oo: Pick<OperationOutcome, 'issue'>, expression: string): OperationOutcomeIssue | undefined =>
  oo.issue?.find((i) => i.expression?.includes(expression));
const errorsOf = (oo: Pick<OperationOutcome, 'issue'>) => oo.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');

/** A heart rate shaped like the PHD IG's numeric-spotnumeric example, claiming the R4 heartrate profile. */
function heartRate(value: string): Observation {
  const file = fileURLToPath(new URL('../../shared/data/phd-ig-examples/numeric-spotnumeric.json', import.meta.url));
  const example = JSON.parse(readFileSync(file, 'utf8')) as Observation;
  delete example.id;
  return { ...example, meta: { profile: [heartrate] }, identifier: [{ system: sys, value }] };
}

describe('basic validation answers 400 and stores nothing', () => {
  test.each([
    ['an unknown property', { resourceType: 'Patient', identifier: [{ system: sys, value: 'v-unknown' }], foo: 1 }, 'Patient.foo', /additional property "foo"/],
    ['a string where a boolean belongs', { resourceType: 'Patient', identifier: [{ system: sys, value: 'v-prim' }], active: 'yes' }, 'Patient.active', /expected boolean/],
    ['a null value', { resourceType: 'Patient', identifier: [{ system: sys, value: 'v-null' }], gender: null }, 'Patient.gender', /null/],
    ['an object where an array belongs', { resourceType: 'Patient', identifier: [{ system: sys, value: 'v-array' }], name: { family: 'x' } }, 'Patient.name', /array/],
    ['an invalid date', { resourceType: 'Patient', identifier: [{ system: sys, value: 'v-date' }], birthDate: '2020-13-45' }, 'Patient.birthDate', /date/],
    ['a property named like an Object member', { resourceType: 'Patient', identifier: [{ system: sys, value: 'v-ctor' }], name: [{ constructor: 'x' }] }, 'Patient.name[0].constructor', /additional property "constructor"/],
  ])('%s', async (_name, resource, expression, text) => {
    const { status, body } = await send('POST', 'Patient', resource);
    expect(status).toBe(400);
    expect(body.resourceType).toBe('OperationOutcome');
    const issue = issueAt(body, expression);
    expect(issue?.severity).toBe('error');
    expect(issue?.details?.text ?? issue?.diagnostics).toMatch(text);
    expect(await count('Patient', resource.identifier[0].value)).toBe(0);
  });

  test('Observation.status outside its required value set', async () => {
    const { status, body } = await send('POST', 'Observation', { resourceType: 'Observation', identifier: [{ system: sys, value: 'v-bogus' }], status: 'bogus', code: { text: 'x' } });
    expect(status).toBe(400);
    const issue = issueAt(body, 'Observation.status');
    expect(issue?.code).toBe('code-invalid');
    expect(issue?.diagnostics).toMatch(/"bogus".*observation-status/);
    expect(await count('Observation', 'v-bogus')).toBe(0);
  });

  test('a missing required element', async () => {
    const { status, body } = await send('POST', 'Observation', { resourceType: 'Observation', identifier: [{ system: sys, value: 'v-missing' }], status: 'final' });
    expect(status).toBe(400);
    expect(issueAt(body, 'Observation.code')?.details?.text).toMatch(/Missing required property/);
    expect(await count('Observation', 'v-missing')).toBe(0);
  });

  test('an invalid resource sent with PUT creates nothing', async () => {
    const { status, body } = await send('PUT', 'Patient/v-put-invalid', { resourceType: 'Patient', id: 'v-put-invalid', active: 'yes' });
    expect(status).toBe(400);
    expect(issueAt(body, 'Patient.active')).toBeDefined();
    expect((await srv.fetch('Patient/v-put-invalid')).status).toBe(404);
  });

  test('a resourceType other than the URL names', async () => {
    const { status, body } = await send('POST', 'Patient', { resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    expect(status).toBe(400);
    expect(body.issue[0].expression).toEqual(['resourceType']);
    expect(body.issue[0].diagnostics).toMatch(/Observation.*Patient/);
  });

  test('an id other than the URL names on PUT, or none', async () => {
    const mismatch = await send('PUT', 'Patient/v-id-a', { resourceType: 'Patient', id: 'v-id-b' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.issue[0].expression).toEqual(['id']);
    expect(mismatch.body.issue[0].diagnostics).toMatch(/v-id-b.*v-id-a/);
    const missing = await send('PUT', 'Patient/v-id-a', { resourceType: 'Patient' });
    expect(missing.status).toBe(400);
    expect(missing.body.issue[0].expression).toEqual(['id']);
    for (const id of ['v-id-a', 'v-id-b']) expect((await srv.fetch(`Patient/${id}`)).status).toBe(404);
  });
});

test.each([
  ['POST', 'NotAType', { resourceType: 'NotAType' }],
  ['PUT', 'NotAType/1', { resourceType: 'NotAType', id: '1' }],
  ['GET', 'NotAType/1', undefined],
  ['GET', 'NotAType?name=x', undefined],
])('an unknown resource type (%s %s) is a 404', async (method, path, body) => {
  const res = await srv.fetch(path, { method, headers: fhirJson, body: body && JSON.stringify(body) });
  expect(res.status).toBe(404);
  const oo = (await res.json()) as OperationOutcome;
  expect(oo.resourceType).toBe('OperationOutcome');
  expect(oo.issue[0].diagnostics).toMatch(/NotAType/);
});

describe('the R4 heartrate profile', () => {
  test('a conforming heart rate is stored', async () => {
    const { status, body } = await send('POST', 'Observation', heartRate('hr-ok'));
    expect(status).toBe(201);
    expect(body.meta?.profile).toEqual([heartrate]);
    expect(await count('Observation', 'hr-ok')).toBe(1);
  });

  test('a heart rate with a data-absent reason instead of a value is stored', async () => {
    const { valueQuantity: _v, ...rest } = heartRate('hr-absent');
    const { status } = await send('POST', 'Observation', { ...rest, dataAbsentReason: { text: 'sensor off' } });
    expect(status).toBe(201);
  });

  const violations: [string, (o: Observation) => Observation, string, RegExp][] = [
    ['a code other than LOINC 8867-4', (o) => ({ ...o, code: { coding: [{ system: 'http://loinc.org', code: '8310-5' }] } }), 'Observation.code.coding', /HeartRateCode/],
    // vs-2 asks for a value only when there is no component, so the component goes too.
    ['no valueQuantity', ({ valueQuantity: _v, component: _c, ...o }) => o, 'Observation', /vs-2/],
    ['a code with text only', (o) => ({ ...o, code: { text: 'heart rate' } }), 'Observation.code.coding', /HeartRateCode/],
    ['a unit code other than /min', (o) => ({ ...o, valueQuantity: { ...o.valueQuantity, code: 'kg' } }), 'Observation.valueQuantity.code', /"\/min"/],
    ['a valueQuantity without a value', (o) => ({ ...o, valueQuantity: { unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } }), 'Observation.valueQuantity.value', /required/],
    ['a valueString', ({ valueQuantity: _v, ...o }) => ({ ...o, valueString: '48' }), 'Observation.valueString', /Quantity/],
    ['no vital-signs category', (o) => ({ ...o, category: [{ text: 'other' }] }), 'Observation.category', /VSCat/],
  ];
  test.each(violations)('%s is a 422 naming the element and the profile', async (name, change, expression, text) => {
    const value = `hr-${name.replace(/\W+/g, '-')}`;
    const { status, body } = await send('POST', 'Observation', change(heartRate(value)));
    expect(status).toBe(422);
    expect(body.resourceType).toBe('OperationOutcome');
    const issue = issueAt(body, expression);
    expect(issue?.severity).toBe('error');
    expect(`${issue?.details?.text ?? ''} ${issue?.diagnostics}`).toMatch(text);
    expect(issue?.diagnostics).toContain(`(profile ${heartrate})`);
    expect(await count('Observation', value)).toBe(0);
  });

  test('a resource failing both the base rules and the profile is a 400 listing both', async () => {
    const resource = { ...heartRate('hr-both'), status: 'bogus', code: { coding: [{ system: 'http://loinc.org', code: '8310-5' }] } };
    const { status, body } = await send('POST', 'Observation', resource);
    expect(status).toBe(400);
    expect(issueAt(body, 'Observation.status')?.code).toBe('code-invalid');
    expect(issueAt(body, 'Observation.code.coding')?.diagnostics).toContain(heartrate);
  });

  test('an update violating the profile is a 422 and leaves the stored version alone', async () => {
    const created = await send('POST', 'Observation', heartRate('hr-update'));
    const id = created.body.id as string;
    const { status } = await send('PUT', `Observation/${id}`, { ...created.body, valueQuantity: { ...created.body.valueQuantity, code: 'kg' } });
    expect(status).toBe(422);
    const now = (await (await srv.fetch(`Observation/${id}`)).json()) as Observation;
    expect(now.meta?.versionId).toBe('1');
    expect(now.valueQuantity?.code).toBe('/min');
  });

  test('claiming a profile of another resource type is a 422', async () => {
    const { status, body } = await send('POST', 'Patient', { resourceType: 'Patient', meta: { profile: [heartrate] } });
    expect(status).toBe(422);
    expect(issueAt(body, 'meta.profile')?.diagnostics).toMatch(/constrains Observation, not Patient/);
  });
});

describe('$validate', () => {
  const bogus = { resourceType: 'Observation', identifier: [{ system: sys, value: 'val-bogus' }], status: 'bogus', code: { text: 'x' } };
  const fine = { resourceType: 'Observation', identifier: [{ system: sys, value: 'val-fine' }], status: 'final', code: { text: 'x' } };

  test('on the type with a valid resource answers All OK and stores nothing', async () => {
    const { status, body } = await send('POST', 'Observation/$validate', fine);
    expect(status).toBe(200);
    expect(body.issue).toEqual([{ severity: 'information', code: 'informational', diagnostics: 'All OK' }]);
    expect(await count('Observation', 'val-fine')).toBe(0);
  });

  test('on the type with an invalid resource answers 200 with the issues and stores nothing', async () => {
    const { status, body } = await send('POST', 'Observation/$validate', bogus);
    expect(status).toBe(200);
    expect(issueAt(body, 'Observation.status')?.severity).toBe('error');
    expect(await count('Observation', 'val-bogus')).toBe(0);
  });

  test('takes the resource in Parameters, with a profile to check against', async () => {
    const plain = await send('POST', 'Observation/$validate', { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: bogus }] });
    expect(plain.status).toBe(200);
    expect(issueAt(plain.body, 'Observation.status')?.code).toBe('code-invalid');
    const profiled = await send('POST', 'Observation/$validate', {
      resourceType: 'Parameters',
      parameter: [{ name: 'resource', resource: fine }, { name: 'profile', valueUri: heartrate }],
    });
    expect(profiled.status).toBe(200);
    expect(errorsOf(profiled.body).map((i) => i.expression?.[0])).toEqual(expect.arrayContaining(['Observation.code.coding', 'Observation.category']));
    expect(await count('Observation', 'val-fine')).toBe(0);
  });

  test('on an instance: GET checks the stored resource, POST the one sent, and nothing changes', async () => {
    const created = await send('POST', 'Observation', { ...fine, identifier: [{ system: sys, value: 'val-instance' }] });
    const id = created.body.id as string;
    const get = await srv.fetch(`Observation/${id}/$validate`);
    expect(get.status).toBe(200);
    expect(((await get.json()) as OperationOutcome).issue[0].diagnostics).toBe('All OK');
    const post = await send('POST', `Observation/${id}/$validate`, { ...created.body, status: 'bogus' });
    expect(post.status).toBe(200);
    expect(issueAt(post.body, 'Observation.status')?.severity).toBe('error');
    const now = (await (await srv.fetch(`Observation/${id}`)).json()) as Observation;
    expect(now.status).toBe('final');
    expect(now.meta?.versionId).toBe('1');
  });

  test('reports an unknown profile as information, and a wrong resource type or missing instance as errors', async () => {
    const unknown = await send('POST', 'Observation/$validate', { ...fine, meta: { profile: ['http://example.org/StructureDefinition/none'] } });
    expect(unknown.status).toBe(200);
    expect(issueAt(unknown.body, 'meta.profile')?.severity).toBe('information');
    expect((await send('POST', 'Observation/$validate', { resourceType: 'Patient' })).status).toBe(400);
    expect((await srv.fetch('Observation/no-such-id/$validate')).status).toBe(404);
  });
});
