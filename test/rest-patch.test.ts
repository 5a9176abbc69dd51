import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { projectRoot } from '../src/paths.js';
import { startTestServer, type TestServer, call as callServer, expectOutcome } from './harness.js';

// PATCH with JSON Patch (R4 http.html#patch): the RFC 6902 cases of fhir-test-cases r4/patch,
// version-aware patch, conditional patch and refused patches.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());


const jsonPatch = { 'content-type': 'application/json-patch+json' };

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);

const patchCall = (path: string, ops: unknown, headers: Record<string, string> = {}) => call('PATCH', path, ops, { ...jsonPatch, ...headers });


const withoutMeta = ({ meta: _meta, ...rest }: Record<string, unknown>) => rest;

// ---------------------------------------------------------------------------------------------
// The shared cases patch bare JSON documents ({"foo": "bar"}), which no FHIR server can store.
// Each case is carried onto a FHIR resource by renaming every member and replacing every leaf
// value, the same way in doc, patch and expected, so the tree shape, array positions and
// operations stay those of the case. What cannot carry over: member names with "/" or "~"
// (A.14, A.15 test pointer escaping) and raw nested arrays (A.16) are renamed like the rest.

interface PatchCase {
  comment: string;
  doc: unknown;
  patch: { op: string; path: string; from?: string; value?: unknown }[];
  expected?: unknown;
  error?: string;
}

interface Rendition {
  type: 'Patient' | 'Observation';
  /** Members the resource needs that the case does not touch. */
  base?: Record<string, unknown>;
  keys: Record<string, string>;
  /** Leaf replacements keyed by the JSON text of the original value. */
  values: Record<string, unknown>;
}

const date = '1974-12-25';
const name = (family: string) => ({ family });
const renditions: Record<string, Rendition> = {
  '4.1. add with missing object': {
    type: 'Patient',
    keys: { q: 'maritalStatus', bar: 'text', a: 'contact', b: 'gender' },
    values: { '2': 'Married', '1': 'male' },
  },
  'A.1.  Adding an Object Member': { type: 'Patient', keys: { foo: 'gender', baz: 'birthDate' }, values: { '"bar"': 'male', '"qux"': date } },
  'A.2.  Adding an Array Element': {
    type: 'Patient',
    keys: { foo: 'name' },
    values: { '"bar"': name('Bar'), '"baz"': name('Baz'), '"qux"': name('Qux') },
  },
  'A.3.  Removing an Object Member': { type: 'Patient', keys: { baz: 'birthDate', foo: 'gender' }, values: { '"qux"': date, '"bar"': 'male' } },
  'A.4.  Removing an Array Element': {
    type: 'Patient',
    keys: { foo: 'name' },
    values: { '"bar"': name('Bar'), '"qux"': name('Qux'), '"baz"': name('Baz') },
  },
  'A.5.  Replacing a Value': {
    type: 'Patient',
    keys: { baz: 'gender', foo: 'birthDate' },
    values: { '"qux"': 'male', '"boo"': 'female', '"bar"': date },
  },
  'A.6.  Moving a Value': {
    type: 'Observation',
    base: { status: 'final', code: { text: 'Body Weight' } },
    keys: { foo: 'subject', bar: 'reference', waldo: 'display', qux: 'encounter', corge: 'reference', thud: 'display' },
    values: { '"baz"': 'Patient/example', '"fred"': 'Peter James Chalmers', '"grault"': 'Encounter/example' },
  },
  'A.7.  Moving an Array Element': {
    type: 'Patient',
    keys: { foo: 'name' },
    values: { '"all"': name('All'), '"grass"': name('Grass'), '"cows"': name('Cows'), '"eat"': name('Eat') },
  },
  'A.8.  Testing a Value: Success': {
    type: 'Patient',
    keys: { baz: 'gender', foo: 'name' },
    values: { '"qux"': 'male', '"a"': name('A'), '2': name('Two'), '"c"': name('C') },
  },
  'A.9.  Testing a Value: Error': { type: 'Patient', keys: { baz: 'gender' }, values: { '"qux"': 'male', '"bar"': 'female' } },
  'A.10.  Adding a nested Member Object': {
    type: 'Patient',
    keys: { foo: 'gender', child: 'managingOrganization', grandchild: 'identifier' },
    values: { '"bar"': 'male', '{}': { value: '12345' } },
  },
  'A.11.  Ignoring Unrecognized Elements': { type: 'Patient', keys: { foo: 'gender', baz: 'birthDate' }, values: { '"bar"': 'male', '"qux"': date } },
  'A.12.  Adding to a Non-existent Target': {
    type: 'Patient',
    keys: { foo: 'gender', baz: 'maritalStatus', bat: 'text' },
    values: { '"bar"': 'male', '"qux"': 'Married' },
  },
  'A.14. ~ Escape Ordering': { type: 'Patient', keys: { '/': 'gender', '~1': 'birthDate' }, values: { '9': 'male', '10': date } },
  'A.15. Comparing Strings and Numbers': {
    type: 'Patient',
    keys: { '/': 'gender', '~1': 'birthDate' },
    values: { '9': 'male', '10': date, '"10"': '1974-12-26' },
  },
  'A.16. Adding an Array Value': {
    type: 'Patient',
    keys: { foo: 'name' },
    values: { '"bar"': name('Bar'), '["abc","def"]': { given: ['abc', 'def'] } },
  },
};

function carry(value: unknown, r: Rendition): unknown {
  const text = JSON.stringify(value);
  if (text in r.values) return r.values[text];
  if (Array.isArray(value)) return value.map((v) => carry(v, r));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [renamed(k, r), carry(v, r)]));
  }
  throw new Error(`no rendition for value ${text}`);
}

function renamed(key: string, r: Rendition): string {
  if (!(key in r.keys)) throw new Error(`no rendition for member ${key}`);
  return r.keys[key];
}

const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function carryPointer(pointer: string, r: Rendition): string {
  return pointer
    .split('/')
    .map((seg, i) => (i === 0 || /^(\d+|-)$/.test(seg) ? seg : escape(renamed(unescape(seg), r))))
    .join('/');
}

const cases = JSON.parse(readFileSync(join(projectRoot(), '..', 'shared', 'data', 'json-patch-tests.json'), 'utf8')) as PatchCase[];

test('every shared case has a rendition', () => {
  expect(cases).toHaveLength(16);
  expect(cases.map((c) => c.comment).sort()).toEqual(Object.keys(renditions).sort());
});

describe.each(cases.map((c, i) => [c.comment, c, i] as const))('JSON Patch case %s', (_comment, c, i) => {
  const r = renditions[c.comment];
  const id = `patch-case-${i}`;
  const asResource = (doc: unknown) => ({ resourceType: r.type, id, ...(r.base ?? {}), ...(carry(doc, r) as object) });
  const ops = c.patch.map((op) => ({
    ...op,
    path: carryPointer(op.path, r),
    ...(op.from !== undefined ? { from: carryPointer(op.from, r) } : {}),
    ...('value' in op ? { value: carry(op.value, r) } : {}),
  }));

  test(c.error ? `fails: ${c.error}` : 'gives the expected document', async () => {
    const put = await call('PUT', `${r.type}/${id}`, asResource(c.doc));
    expect(put.status).toBe(201);
    const res = await patchCall(`${r.type}/${id}`, ops);
    const stored = await call('GET', `${r.type}/${id}`);
    if (c.error) {
      expect([400, 422]).toContain(res.status);
      expectOutcome(res);
      expect(stored.body).toEqual(put.body);
    } else {
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('W/"2"');
      expect(withoutMeta(res.body)).toEqual(asResource(c.expected));
      expect(stored.body).toEqual(res.body);
      expect(stored.body.meta.versionId).toBe('2');
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** From fhir-r4-examples/patient-example.json, reduced. */
const patient = (id: string, value: string) => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:oid:1.2.36.146.595.217.0.1', value }],
  name: [{ use: 'official', family: 'Chalmers', given: ['Peter', 'James'] }],
  gender: 'male',
  active: true,
});

const toFemale = [{ op: 'replace', path: '/gender', value: 'female' }];

describe('patch interaction', () => {
  test('If-Match with the current version patches; a stale one is 412 and stores nothing', async () => {
    await call('PUT', 'Patient/pm-1', patient('pm-1', 'pm-1'));
    const stale = await patchCall('Patient/pm-1', toFemale, { 'if-match': 'W/"2"' });
    expect(stale.status).toBe(412);
    expectOutcome(stale);
    expect((await call('GET', 'Patient/pm-1')).body.meta.versionId).toBe('1');
    const ok = await patchCall('Patient/pm-1', toFemale, { 'if-match': 'W/"1"' });
    expect(ok.status).toBe(200);
    expect(ok.body.gender).toBe('female');
    expect(ok.body.meta.versionId).toBe('2');
    const history = await call('GET', 'Patient/pm-1/_history');
    expect(history.body.entry.map((e: any) => e.request.method)).toEqual(['PATCH', 'PUT']);
  });

  test.each([
    ['an unknown resource', 'Patient/pm-none', toFemale, 404],
    ['a body that is not an array', 'Patient/pm-2', { op: 'replace', path: '/gender', value: 'female' }, 400],
    ['an unknown op', 'Patient/pm-2', [{ op: 'frobnicate', path: '/gender', value: 'female' }], 400],
    ['a path without a leading slash', 'Patient/pm-2', [{ op: 'replace', path: 'gender', value: 'female' }], 400],
    ['replace of a missing member', 'Patient/pm-2', [{ op: 'replace', path: '/birthDate', value: '1974-12-25' }], 422],
    ['a change of id', 'Patient/pm-2', [{ op: 'replace', path: '/id', value: 'pm-other' }], 400],
    ['a change of resourceType', 'Patient/pm-2', [{ op: 'replace', path: '/resourceType', value: 'Person' }], 400],
    ['a result that is not a valid resource', 'Patient/pm-2', [{ op: 'replace', path: '/gender', value: 'robot' }], 400],
    ['a test that fails before a valid change', 'Patient/pm-2', [{ op: 'test', path: '/active', value: false }, ...toFemale], 422],
    ['a prototype path', 'Patient/pm-2', [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }], 400],
  ])('%s is refused and nothing changes', async (_what, path, ops, status) => {
    await call('PUT', 'Patient/pm-2', patient('pm-2', 'pm-2'));
    const before = await call('GET', 'Patient/pm-2');
    const r = await patchCall(path, ops);
    expect(r.status).toBe(status);
    expectOutcome(r);
    expect(await call('GET', 'Patient/pm-2')).toMatchObject({ body: before.body });
    expect((await call('GET', 'Patient/pm-other')).status).toBe(404);
  });

  test('concurrent patches without If-Match all apply, one after the other', async () => {
    expect((await call('PUT', 'Patient/pm-race', patient('pm-race', 'pm-race'))).status).toBe(201);
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => patchCall('Patient/pm-race', [{ op: 'add', path: '/name/0/given/-', value: `G${i}` }])),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(200));
    const stored = await call('GET', 'Patient/pm-race');
    expect(stored.body.meta.versionId).toBe('9');
    expect([...stored.body.name[0].given].sort()).toEqual(['G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'James', 'Peter']);
  });

  test('patching a deleted resource is 410', async () => {
    await call('PUT', 'Patient/pm-3', patient('pm-3', 'pm-3'));
    await call('DELETE', 'Patient/pm-3');
    const r = await patchCall('Patient/pm-3', toFemale);
    expect(r.status).toBe(410);
    expect((await call('GET', 'Patient/pm-3/_history')).body.total).toBe(2);
  });

  test('meta.versionId set by a patch is ignored; the server numbers versions', async () => {
    await call('PUT', 'Patient/pm-4', patient('pm-4', 'pm-4'));
    const r = await patchCall('Patient/pm-4', [{ op: 'replace', path: '/meta/versionId', value: '42' }, ...toFemale]);
    expect(r.status).toBe(200);
    expect(r.body.meta.versionId).toBe('2');
  });
});

describe('conditional patch (PATCH [type]?criteria)', () => {
  const criteria = (value: string) => `identifier=${encodeURIComponent(`urn:oid:1.2.36.146.595.217.0.1|${value}`)}`;

  test('one match is patched', async () => {
    await call('PUT', 'Patient/cp-1', patient('cp-1', 'cp-1'));
    await call('PUT', 'Patient/cp-1b', patient('cp-1b', 'cp-1b'));
    const r = await patchCall(`Patient?${criteria('cp-1')}`, toFemale);
    expect(r.status).toBe(200);
    expect(r.body.id).toBe('cp-1');
    expect(r.body.gender).toBe('female');
    expect(r.headers.get('location')).toBe(`${srv.baseUrl}/Patient/cp-1/_history/2`);
    expect((await call('GET', 'Patient/cp-1b')).body.gender).toBe('male');
  });

  test('no match is 404', async () => {
    const r = await patchCall(`Patient?${criteria('cp-none')}`, toFemale);
    expect(r.status).toBe(404);
    expectOutcome(r);
  });

  test('several matches are 412 and nothing changes', async () => {
    await call('PUT', 'Patient/cp-2a', patient('cp-2a', 'cp-2'));
    await call('PUT', 'Patient/cp-2b', patient('cp-2b', 'cp-2'));
    const r = await patchCall(`Patient?${criteria('cp-2')}`, toFemale);
    expect(r.status).toBe(412);
    expectOutcome(r);
    for (const id of ['cp-2a', 'cp-2b']) expect((await call('GET', `Patient/${id}`)).body.meta.versionId).toBe('1');
  });

  test('an unknown parameter is 400 and nothing changes', async () => {
    await call('PUT', 'Patient/cp-3', patient('cp-3', 'cp-3'));
    const r = await patchCall(`Patient?${criteria('cp-3')}&colour=blue`, toFemale);
    expect(r.status).toBe(400);
    expectOutcome(r);
    expect((await call('GET', 'Patient/cp-3')).body.meta.versionId).toBe('1');
  });

  test('If-Match applies to the matched resource', async () => {
    await call('PUT', 'Patient/cp-4', patient('cp-4', 'cp-4'));
    const stale = await patchCall(`Patient?${criteria('cp-4')}`, toFemale, { 'if-match': 'W/"3"' });
    expect(stale.status).toBe(412);
    const ok = await patchCall(`Patient?${criteria('cp-4')}`, toFemale, { 'if-match': 'W/"1"' });
    expect(ok.status).toBe(200);
    expect((ok.body as Resource).meta?.versionId).toBe('2');
  });
});
