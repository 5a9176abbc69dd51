import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { fhirJson, startTestServer, type TestServer } from './harness.js';

// Malformed requests (R4 http.html#mime-type, #status): the right 4xx with an OperationOutcome,
// nothing stored, no 500, no stack trace, and the server still healthy afterwards.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ MAX_BODY_SIZE: '1kb' });
  const res = await srv.fetch('Patient/known', { method: 'PUT', headers: fhirJson, body: JSON.stringify({ resourceType: 'Patient', id: 'known', gender: 'female' }) });
  expect(res.status).toBe(201);
});
afterAll(async () => srv?.stop());

const patientTotal = async () => ((await (await srv.fetch('Patient?_summary=count')).json()) as Bundle).total;
const patientBody = JSON.stringify({ resourceType: 'Patient', gender: 'other' });

async function expectOutcome(res: Response, status: number, diagnostics?: RegExp): Promise<OperationOutcome> {
  const text = await res.text();
  expect({ status: res.status, text }).toEqual({ status, text: expect.any(String) });
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  const oo = JSON.parse(text) as OperationOutcome;
  expect(oo.resourceType).toBe('OperationOutcome');
  expect(oo.issue[0].severity).toBe('error');
  if (diagnostics) expect(oo.issue[0].diagnostics).toMatch(diagnostics);
  return oo;
}

describe('request bodies', () => {
  test('invalid JSON is a 400 and stores nothing', async () => {
    const before = await patientTotal();
    const oo = await expectOutcome(await srv.fetch('Patient', { method: 'POST', headers: fhirJson, body: '{"resourceType": "Patient",' }), 400, /not valid JSON/);
    expect(oo.issue[0].code).toBe('structure');
    expect(await patientTotal()).toBe(before);
  });

  test('a body over MAX_BODY_SIZE is a 413 and stores nothing; one under it is accepted', async () => {
    const before = await patientTotal();
    const big = JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(1100) }] });
    const oo = await expectOutcome(await srv.fetch('Patient', { method: 'POST', headers: fhirJson, body: big }), 413, /1024 bytes/);
    expect(oo.issue[0].code).toBe('too-long');
    expect(await patientTotal()).toBe(before);
    const small = JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(900) }] });
    expect((await srv.fetch('Patient', { method: 'POST', headers: fhirJson, body: small })).status).toBe(201);
    expect(await patientTotal()).toBe((before as number) + 1);
  });

  test.each([
    ['text/plain', /text\/plain/],
    ['application/fhir+xml', /application\/fhir\+xml/],
    ['application/xml', /application\/xml/],
    ['application/x-www-form-urlencoded', /only accepted by _search/],
  ])('Content-Type %s is a 415 and stores nothing', async (contentType, diagnostics) => {
    const before = await patientTotal();
    await expectOutcome(await srv.fetch('Patient', { method: 'POST', headers: { 'content-type': contentType }, body: patientBody }), 415, diagnostics);
    expect(await patientTotal()).toBe(before);
  });

  test('a form is still accepted by POST _search', async () => {
    const res = await srv.fetch('Patient/_search', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '_id=known' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Bundle).entry?.map((e) => e.resource?.id)).toEqual(['known']);
  });

  test('a body without a Content-Type is a 415', async () => {
    // fetch labels a string body text/plain; a Blob without a type sends no Content-Type at all.
    await expectOutcome(await srv.fetch('Patient', { method: 'POST', body: new Blob([patientBody]) }), 415, /Content-Type/);
  });

  test.each(['iso-8859-1', 'utf-16', 'windows-1252', 'bogus'])('charset=%s is a 415 and stores nothing', async (charset) => {
    const before = await patientTotal();
    await expectOutcome(await srv.fetch('Patient', { method: 'POST', headers: { 'content-type': `application/fhir+json; charset=${charset}` }, body: patientBody }), 415);
    expect(await patientTotal()).toBe(before);
  });

  test.each(['application/fhir+json; charset=utf-8', 'application/fhir+json;charset="UTF-8"', 'application/json'])('Content-Type %s is accepted', async (contentType) => {
    expect((await srv.fetch('Patient', { method: 'POST', headers: { 'content-type': contentType }, body: patientBody })).status).toBe(201);
  });
});

describe('response formats', () => {
  test.each([
    ['Accept: application/fhir+xml', 'Patient/known', { accept: 'application/fhir+xml' }],
    ['Accept: application/xml, text/html', 'Patient/known', { accept: 'application/xml, text/html' }],
    ['_format=xml', 'Patient/known?_format=xml', {}],
    ['_format=application/fhir+xml', 'Patient/known?_format=application/fhir%2Bxml', {}],
    ['_format=xml on a search', 'Patient?_format=xml', {}],
  ])('%s is a 406', async (_name, path, headers) => {
    await expectOutcome(await srv.fetch(path, { headers }), 406);
  });

  test.each([
    ['Accept: application/fhir+xml, application/fhir+json;q=0.5', 'Patient/known', { accept: 'application/fhir+xml, application/fhir+json;q=0.5' }],
    ['Accept: */*', 'Patient/known', { accept: '*/*' }],
    ['_format=json', 'Patient/known?_format=json', {}],
    ['_format=application/fhir+json', 'Patient/known?_format=application/fhir%2Bjson', {}],
  ])('%s is answered in JSON', async (_name, path, headers) => {
    const res = await srv.fetch(path, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(((await res.json()) as Patient).id).toBe('known');
  });
});

const json = fhirJson;
const jsonPatch = { 'content-type': 'application/json-patch+json' };
const nested = (depth: number) => `{"resourceType":"Patient","extension":${'['.repeat(depth)}${']'.repeat(depth)}}`;

// [name, method, path, headers, body, status]
const malformed: [string, string, string, Record<string, string>, string | undefined, number][] = [
  ['a garbage body', 'POST', 'Patient', json, 'garbage', 400],
  ['JSON with trailing garbage', 'POST', 'Patient', json, '{"resourceType":"Patient"} x', 400],
  ['an empty body', 'POST', 'Patient', json, '', 400],
  ['an object without resourceType', 'POST', 'Patient', json, '{}', 400],
  ['an array', 'POST', 'Patient', json, '[{"resourceType":"Patient"}]', 400],
  ['null', 'POST', 'Patient', json, 'null', 400],
  ['a number', 'POST', 'Patient', json, '42', 400],
  ['a string', 'POST', 'Patient', json, '"Patient"', 400],
  ['a null resourceType', 'POST', 'Patient', json, '{"resourceType":null}', 400],
  ['a null array item', 'POST', 'Patient', json, '{"resourceType":"Patient","name":[null]}', 400],
  ['a __proto__ property', 'POST', 'Patient', json, '{"resourceType":"Patient","__proto__":{"x":1}}', 400],
  ['300 levels of nesting', 'POST', 'Patient', json, nested(300), 400],
  ['nesting beyond the size limit', 'POST', 'Patient', json, nested(100000), 413],
  ['a gzip header on a plain body', 'POST', 'Patient', { ...json, 'content-encoding': 'gzip' }, patientBody, 400],
  ['an unknown Content-Encoding', 'POST', 'Patient', { ...json, 'content-encoding': 'x-unknown' }, patientBody, 415],
  ['an If-None-Exist without criteria', 'POST', 'Patient', { ...json, 'if-none-exist': 'garbage' }, patientBody, 400],
  ['an id of 65 characters', 'GET', `Patient/${'a'.repeat(65)}`, {}, undefined, 400],
  ['an id of 3000 characters', 'GET', `Patient/${'a'.repeat(3000)}`, {}, undefined, 400],
  ['an id with a NUL', 'GET', 'Patient/a%00b', {}, undefined, 400],
  ['a bad percent-encoding in the path', 'GET', 'Patient/%zz', {}, undefined, 400],
  ['a truncated UTF-8 escape in the path', 'GET', 'Patient/%E0%A4%A', {}, undefined, 400],
  ['a negative _count', 'GET', 'Patient?_count=-1', {}, undefined, 400],
  ['a non-numeric _count', 'GET', 'Patient?_count=abc', {}, undefined, 400],
  ['a garbage date parameter', 'GET', 'Patient?birthdate=garbage', {}, undefined, 400],
  ['a NUL in a search value', 'GET', 'Patient?name=a%00b', {}, undefined, 400],
  ['a non-numeric version', 'GET', 'Patient/known/_history/abc', {}, undefined, 404],
  ['a version beyond any integer', 'GET', 'Patient/known/_history/99999999999999999999', {}, undefined, 404],
  ['If-Match: garbage on PUT', 'PUT', 'Patient/known', { ...json, 'if-match': 'garbage' }, '{"resourceType":"Patient","id":"known","gender":"male"}', 400],
  ['If-Match: garbage on DELETE', 'DELETE', 'Patient/known', { 'if-match': 'garbage' }, undefined, 400],
  ['If-Match: garbage on PATCH', 'PATCH', 'Patient/known', { ...jsonPatch, 'if-match': 'garbage' }, '[]', 400],
  ['a JSON Patch that is an object', 'PATCH', 'Patient/known', jsonPatch, '{"op":"add"}', 400],
  ['a JSON Patch with an unknown op', 'PATCH', 'Patient/known', jsonPatch, '[{"op":"explode","path":"/gender"}]', 400],
  ['a JSON Patch writing __proto__', 'PATCH', 'Patient/known', jsonPatch, '[{"op":"add","path":"/__proto__/x","value":1}]', 400],
  ['a text/plain PATCH', 'PATCH', 'Patient/known', { 'content-type': 'text/plain' }, '[]', 415],
  ['$validate with an array', 'POST', 'Patient/$validate', json, '[]', 400],
  ['$validate with a Parameters whose parameter is a number', 'POST', 'Patient/$validate', json, '{"resourceType":"Parameters","parameter":5}', 400],
  ['a transaction whose entry is null', 'POST', '', json, '{"resourceType":"Bundle","type":"transaction","entry":[null]}', 400],
  ['a transaction entry with a numeric url', 'POST', '', json, '{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":5}}]}', 400],
  ['a transaction entry with a bad percent-encoding', 'POST', '', json, '{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"Patient/%zz"}}]}', 400],
  ['an unknown HTTP method', 'PROPFIND', 'Patient', {}, undefined, 405],
  ['DELETE on the base', 'DELETE', '', {}, undefined, 405],
];

describe('malformed requests', () => {
  let before: number | undefined;
  beforeAll(async () => {
    before = await patientTotal();
  });

  test.each(malformed)('%s: %s %s', async (_name, method, path, headers, body, status) => {
    const res = await srv.fetch(path, { method, headers, body });
    await expectOutcome(res, status);
  });

  test('left the server healthy and the data untouched', async () => {
    const health = await fetch(srv.baseUrl.replace(/\/fhir$/, '/healthz'));
    expect(health.status).toBe(200);
    expect(await patientTotal()).toBe(before);
    const known = (await (await srv.fetch('Patient/known')).json()) as Patient;
    expect(known.meta?.versionId).toBe('1');
    expect(known.gender).toBe('female');
  });
});
