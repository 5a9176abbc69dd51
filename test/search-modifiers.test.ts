import type { Bundle, CapabilityStatement } from '@medplum/fhirtypes';
import { call as callServer, expectOutcome, put as putResource, startTestServer, type TestServer } from './harness.js';

// Token modifiers :in, :not-in, :of-type and :not, the reference modifier :identifier, the
// Resource-level parameters _tag, _profile, _security and _source, and _text / _content
// (R4 search.html#modifiers, #all, #text). Expected ids are worked out by hand from the fixtures.

let srv: TestServer;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);
const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);
const q = encodeURIComponent;

const loinc = 'http://loinc.org';
const v2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const pseudonym = 'urn:serium:pseudonym';
const homeReadings = 'urn:serium:ValueSet:home-readings';
const vitalSigns = 'http://hl7.org/fhir/ValueSet/observation-vitalsignresult';
const genders = 'http://hl7.org/fhir/ValueSet/administrative-gender';
const confidentiality = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const category = 'http://terminology.hl7.org/CodeSystem/observation-category';
const otherProfile = 'http://example.org/fhir/StructureDefinition/rpm-patient';
const xhtml = (inner: string) => ({ status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>` });

const patients = [
  {
    resourceType: 'Patient',
    id: 'm-anna',
    meta: { tag: [{ system: 'urn:serium:tag', code: 'pilot' }], security: [{ system: confidentiality, code: 'R' }], source: 'urn:serium:source:phone-app' },
    text: xhtml('<p>Anna <b>Jönsson</b>, lives alone &amp; uses a watch</p>'),
    identifier: [
      { system: pseudonym, value: 'p-0001', type: { coding: [{ system: v2, code: 'MR' }] } },
      { system: 'urn:oid:2.16.840.1.113883.2.4.6.3', value: '999911120', type: { coding: [{ system: v2, code: 'NIIP' }] } },
    ],
    name: [{ family: 'Jönsson', given: ['Anna'] }],
    gender: 'female',
  },
  {
    resourceType: 'Patient',
    id: 'm-bert',
    meta: { tag: [{ system: 'urn:serium:tag', code: 'control' }], profile: [otherProfile] },
    identifier: [{ system: pseudonym, value: 'p-0002', type: { coding: [{ system: v2, code: 'MR' }] } }],
    gender: 'male',
  },
  { resourceType: 'Patient', id: 'm-carl', text: xhtml('Carl prefers the CUFF') },
];

const obs = (id: string, code: object, subject: object, extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', id, status: 'final', code, subject, ...extra });
const coded = (...codes: string[]) => ({ coding: codes.map((code) => ({ system: loinc, code })) });
const observations = [
  obs('m-hr', coded('8867-4'), { reference: 'Patient/m-anna' }, { category: [{ coding: [{ system: category, code: 'vital-signs' }] }] }),
  obs('m-glucose', coded('41653-7'), { reference: 'Patient/m-bert' }),
  obs('m-cholesterol', coded('2093-3'), { reference: 'Patient/m-anna' }),
  obs('m-note', { text: 'note' }, { reference: 'Patient/m-carl' }),
  // a logical reference only, and a reference with both forms
  obs('m-byid', coded('8867-4'), { identifier: { system: pseudonym, value: 'p-0001' } }),
  obs('m-both', coded('8480-6'), { reference: 'Patient/m-bert', identifier: { system: pseudonym, value: 'p-0002' } }),
];

beforeAll(async () => {
  srv = await startTestServer();
  for (const r of [...patients, ...observations]) await put(r);
});
afterAll(async () => srv?.stop());

const ids = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string).sort();
const m = (...names: string[]) => names.map((n) => `m-${n}`).sort();
const strict = { prefer: 'handling=strict' };

describe.each([
  [
    'Patient',
    [
      // :of-type: the identifier's type coding and its value, on the same identifier
      [`identifier:of-type=${q(`${v2}|MR|p-0001`)}`, m('anna')],
      [`identifier:of-type=${q(`${v2}|NIIP|999911120`)}`, m('anna')],
      [`identifier:of-type=${q(`${v2}|MR|999911120`)}`, []],
      [`identifier:of-type=${q(`${v2}|MR|p-0002`)}`, m('bert')],
      [`identifier:of-type=${q(`${v2}|MR|p-0001,${v2}|MR|p-0002`)}`, m('anna', 'bert')],
      [`identifier:of-type=${q(`http://example.org|MR|p-0001`)}`, []],
      // :in over a value set that includes a whole code system; :not-in also finds no value
      [`gender:in=${q(genders)}`, m('anna', 'bert')],
      [`gender:not-in=${q(genders)}`, m('carl')],
      ['gender:not=male', m('anna', 'carl')],
      // Resource-level parameters from meta
      [`_tag=${q('urn:serium:tag|pilot')}`, m('anna')],
      ['_tag=control', m('bert')],
      ['_tag:not=pilot', m('bert', 'carl')],
      ['_tag:missing=true', m('carl')],
      [`_security=${q(`${confidentiality}|R`)}`, m('anna')],
      [`_security:not=${q(`${confidentiality}|R`)}`, m('bert', 'carl')],
      [`_profile=${q(otherProfile)}`, m('bert')],
      [`_profile:below=${q('http://example.org/fhir/')}`, m('bert')],
      [`_source=${q('urn:serium:source:phone-app')}`, m('anna')],
      ['_source:missing=false', m('anna')],
      // _text: the narrative without markup, case and accents folded
      ['_text=jonsson', m('anna')],
      [`_text=${q('ANNA JÖNSSON')}`, m('anna')],
      [`_text=${q('alone & uses')}`, m('anna')],
      ['_text=cuff', m('carl')],
      ['_text=cuff,watch', m('anna', 'carl')],
      ['_text=cuff&_text=watch', []],
      ['_text=p-0001', []],
      ['_text=xmlns', []],
      ['_text:missing=true', m('bert')],
      // _content: any string value, or the narrative text
      ['_content=p-0001', m('anna')],
      ['_content=JONSSON', m('anna')],
      ['_content=cuff', m('carl')],
      [`_content=${q(pseudonym)}`, m('anna', 'bert')],
      ['_content=pilot,control', m('anna', 'bert')],
      ['_content=xmlns', []],
      ['_content=999911120&gender=female', m('anna')],
    ],
  ],
  [
    'Observation',
    [
      [`code:in=${q(homeReadings)}`, m('hr', 'glucose', 'byid', 'both')],
      [`code:not-in=${q(homeReadings)}`, m('cholesterol', 'note')],
      [`code:in=${q(vitalSigns)}`, m('hr', 'byid', 'both')],
      [`code:in=${q(`${vitalSigns}|4.0.1`)}`, m('hr', 'byid', 'both')],
      [`code:in=${q(`${vitalSigns},${homeReadings}`)}`, m('hr', 'glucose', 'byid', 'both')],
      [`code:in=${q(homeReadings)}&code:not-in=${q(vitalSigns)}`, m('glucose')],
      [`code:not=${q(`${loinc}|8867-4`)}`, m('glucose', 'cholesterol', 'note', 'both')],
      // :not matches resources with no value at all (R4 search.html#modifiers)
      [`category:not=${q(`${category}|vital-signs`)}`, m('glucose', 'cholesterol', 'note', 'byid', 'both')],
      ['code:text=note', m('note')],
      // :identifier matches Reference.identifier
      [`subject:identifier=${q(`${pseudonym}|p-0001`)}`, m('byid')],
      [`subject:identifier=${q(`${pseudonym}|p-0002`)}`, m('both')],
      ['subject:identifier=p-0001', m('byid')],
      [`subject:identifier=${q(`${pseudonym}|`)}`, m('byid', 'both')],
      [`subject:identifier=${q(`${pseudonym}|p-0001,${pseudonym}|p-0002`)}`, m('byid', 'both')],
      ['subject=Patient/m-bert', m('glucose', 'both')],
      [`subject:Patient.identifier:of-type=${q(`${v2}|MR|p-0001`)}`, m('hr', 'cholesterol')],
      ['_content=note', m('note')],
    ],
  ],
] as [string, [string, string[]][]][])('%s', (type, cases) => {
  test.each(cases)(`${type}?%s`, async (query, expected) => {
    const r = await call('GET', `${type}?${query}&_count=100`, undefined, strict);
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual(expected);
    expect(r.body.total).toBe(expected.length);
  });
});

test('the same answers through a FHIR client, GET and POST', async () => {
  for (const postSearch of [false, true]) {
    const found = (await srv.client.search({
      resourceType: 'Observation',
      searchParams: { 'code:in': homeReadings, 'subject:identifier': `${pseudonym}|p-0001` },
      options: { postSearch },
    })) as unknown as Bundle;
    expect(ids(found)).toEqual(m('byid'));
    const patients = (await srv.client.search({ resourceType: 'Patient', searchParams: { 'identifier:of-type': `${v2}|MR|p-0002` }, options: { postSearch } })) as unknown as Bundle;
    expect(ids(patients)).toEqual(m('bert'));
  }
});

test.each([
  ['an unknown value set', `Observation?code:in=${q('http://example.org/ValueSet/none')}`, 'http://example.org/ValueSet/none'],
  // all of LOINC: the code system is not held here, so the value set cannot be expanded
  ['a value set that cannot be expanded', `Observation?code:not-in=${q('http://hl7.org/fhir/ValueSet/observation-codes')}`, 'http://hl7.org/fhir/ValueSet/observation-codes'],
  ['an :of-type value without its three parts', `Patient?identifier:of-type=${q(`${v2}|MR`)}`, 'system|code|value'],
  ['an empty _content', 'Patient?_content=%20', '_content'],
])('%s is a 400 naming it, also without strict handling', async (_what, path, named) => {
  const r = await call('GET', path);
  expect(r.status).toBe(400);
  expectOutcome(r, 'invalid');
  expect(r.body.issue[0].diagnostics).toContain(named);
});

test.each([
  // :of-type is for identifiers only; :identifier for references only
  ['Patient?gender:of-type=a|b|c'],
  ['Patient?family:identifier=a|b'],
  ['Observation?subject:Medication=x'],
  ['Patient?_text:exact=anna'],
  ['Patient?_query=anything'],
])('%s is reported as unsupported, and refused when strict', async (path) => {
  const lenient = await call('GET', path);
  expect(lenient.status).toBe(200);
  expect((lenient.body as Bundle).entry?.find((e) => e.search?.mode === 'outcome')).toBeDefined();
  const refused = await call('GET', path, undefined, strict);
  expect(refused.status).toBe(400);
});

describe('the CapabilityStatement lists the modifiers each parameter takes', () => {
  let cs: CapabilityStatement;
  beforeAll(async () => {
    cs = (await call('GET', 'metadata')).body as CapabilityStatement;
  });
  const listed = (type: string, name: string): string[] => {
    const p = cs.rest?.[0].resource?.find((r) => r.type === type)?.searchParam?.find((sp) => sp.name === name);
    const sentence = /Modifiers: (.*)\.$/.exec(p?.documentation ?? '')?.[1] ?? '';
    return [...sentence.matchAll(/:([A-Za-z-]+)\b/g)].map((x) => x[1]);
  };
  // a valid value for each modifier, so an accepted modifier answers 200
  const valueFor = (modifier: string): string =>
    ({ missing: 'true', in: q(homeReadings), 'not-in': q(homeReadings), 'of-type': q(`${v2}|MR|x`), identifier: q('a|b'), below: q('http://x'), above: q('http://x') })[modifier] ?? 'x';
  const every = ['missing', 'not', 'text', 'in', 'not-in', 'of-type', 'exact', 'contains', 'identifier', 'below', 'above', 'Patient', 'Device'];

  test.each([
    ['Patient', 'identifier', ['missing', 'not', 'text', 'in', 'not-in', 'of-type']],
    ['Patient', 'gender', ['missing', 'not', 'text', 'in', 'not-in']],
    ['Patient', 'family', ['missing', 'exact', 'contains']],
    ['Patient', 'birthdate', ['missing']],
    ['Patient', '_profile', ['missing', 'below', 'above']],
    ['Patient', '_text', ['missing']],
    ['Patient', '_content', ['missing']],
    ['Observation', 'subject', ['missing', 'identifier', 'Group', 'Device', 'Patient', 'Location']],
    ['Observation', 'code', ['missing', 'not', 'text', 'in', 'not-in']],
    ['Observation', '_tag', ['missing', 'not', 'text', 'in', 'not-in']],
  ])('%s %s', async (type, name, expected) => {
    const modifiers = listed(type, name);
    expect([...modifiers].sort()).toEqual([...expected].sort());
    for (const modifier of modifiers) {
      const r = await call('GET', `${type}?${name}:${modifier}=${valueFor(modifier)}`, undefined, strict);
      expect([name, modifier, r.status]).toEqual([name, modifier, 200]);
    }
    for (const modifier of every.filter((x) => !modifiers.includes(x))) {
      const r = await call('GET', `${type}?${name}:${modifier}=${valueFor(modifier)}`, undefined, strict);
      expect([name, modifier, r.status]).toEqual([name, modifier, 400]);
      expectOutcome(r);
    }
  });
});
