import type { TestServer } from './harness.js';
import { dateMatches, expectSearch, hasCoding, P, periodSpan, searchAll, span, startCorpusServer, type Corpus, type Expected, type Res } from './corpus.js';

// References, chains, _has, _include and _revinclude over the real corpora in ../shared/data
// (loaded once per run by corpus.ts). Expected answers come from the files and the R4 search rules,
// never from the server: ids by hand, or a count found with jq together with the filter stating the
// rule, run over the in-memory view of what was loaded.

let srv: TestServer;
let corpus: Corpus;
beforeAll(async () => ({ srv, corpus } = await startCorpusServer()), 900_000);
afterAll(async () => srv?.stop());

const check = (type: string, query: string, expected: Expected) => expectSearch(srv, corpus, type, query, expected);
const q = encodeURIComponent;

const cole = P.cole; // 20 encounters, 6 conditions, 3 medication requests
const schmitt = P.schmitt; // 15 encounters
const joaquin = '434d1b72-48ce-3581-8b8a-96d49f9c52d8'; // Practitioner "Dr. Joaquín233 Duarte203"
const newman = 'a261e1fc-9361-3633-a2c4-8569a04b818d'; // one of three Organizations named NEWMAN MEMORIAL COUNTY HOSPITAL
const lyon = 'e905bbc1-bb1d-3d86-a49d-954a306b53a1'; // Location LYON CO HLTH DEPT AND COMMUNITY CENTER
const busyEncounter = 'f5849775-b164-8b72-664a-3780ded6aeda'; // 9 Conditions name it
const mdc = 'urn:iso:std:iso:11073:10101';
const sct = 'http://snomed.info/sct';
const phd74 = 'phd-74E8FFFEFF051C00.001C05FFE874'; // pulse oximeter of the PHD examples
const phd71 = 'phd-711000FEFF5F49B0.B0495F001071'; // blood-pressure cuff; subject of coincident time stamps

/** Every Reference.reference in a resource (any depth). */
function refs(r: unknown, out: string[] = []): string[] {
  if (Array.isArray(r)) r.forEach((v) => refs(v, out));
  else if (r && typeof r === 'object') {
    for (const [k, v] of Object.entries(r)) if (k === 'reference' && typeof v === 'string') out.push(v);
    else refs(v, out);
  }
  return out;
}
const byId = (type: string, id: string) => corpus.of(type).find((r) => r.id === id) as Res;
const subjectIs = (ref: string) => (r: Res) => r.subject?.reference === ref;
const participants = (e: Res): string[] => (e.participant ?? []).map((p: any) => p.individual?.reference).filter(Boolean);
/** The resource a local reference names, from the loaded copy. */
const target = (ref: string | undefined) => {
  const [type, id] = (ref ?? '').split('/');
  return type && id ? byId(type, id) : undefined;
};

describe('references', () => {
  test.each<[string, string, Expected]>([
    ['Encounter', `subject=Patient/${cole}`, { n: 20, where: subjectIs(`Patient/${cole}`) }],
    ['Encounter', `subject=${cole}`, { n: 20, where: subjectIs(`Patient/${cole}`) }],
    ['Encounter', `subject:Patient=${cole}`, { n: 20, where: subjectIs(`Patient/${cole}`) }],
    ['Encounter', `patient=${cole}`, { n: 20, where: subjectIs(`Patient/${cole}`) }],
    ['Encounter', `subject=Patient/${cole},Patient/${schmitt}`, { n: 35, where: (r) => [`Patient/${cole}`, `Patient/${schmitt}`].includes(r.subject?.reference) }],
    ['Encounter', `subject=Practitioner/${cole}`, []],
    // Synthea's conditional references to Practitioners and Organizations, resolved by identifier
    ['Encounter', `participant=Practitioner/${joaquin}`, { n: 38, where: (r) => participants(r).includes(`Practitioner/${joaquin}`) }],
    ['Encounter', `practitioner=${joaquin}`, { n: 38, where: (r) => participants(r).includes(`Practitioner/${joaquin}`) }],
    ['Encounter', `service-provider=Organization/${newman}`, { n: 499, where: (r) => r.serviceProvider?.reference === `Organization/${newman}` }],
    // ...and those the server resolved itself in the Immunization transactions
    ['Immunization', `location=Location/${lyon}`, { n: 14, where: (r) => r.location?.reference === `Location/${lyon}` }],
    ['Condition', `encounter=Encounter/${busyEncounter}`, { n: 9, where: (r) => r.encounter?.reference === `Encounter/${busyEncounter}` }],
    ['Procedure', 'reason-reference=Condition/adc6375e-f5c5-44c8-3b7c-92d9fc5c81ba', { n: 318, where: (r) => refs(r.reasonReference).includes('Condition/adc6375e-f5c5-44c8-3b7c-92d9fc5c81ba') }],
    ['DocumentReference', `encounter=Encounter/${busyEncounter}`, { n: 1, where: (r) => refs(r.context?.encounter).includes(`Encounter/${busyEncounter}`) }],
    // PHD ids hold upper case and dots
    ['Observation', `device=Device/${phd74}`, { n: 54, where: (r) => r.device?.reference === `Device/${phd74}` }],
    ['Observation', `subject=Device/${phd71}`, { n: 3, where: subjectIs(`Device/${phd71}`) }],
    ['Observation', `subject:Device=${phd71}`, { n: 3, where: subjectIs(`Device/${phd71}`) }],
    ['Observation', `patient=${phd71}`, []],
    ['Observation', 'patient=patientExample-1', { n: 62, where: subjectIs('Patient/patientExample-1') }],
    ['Observation', `subject=Patient/patientExample-1,Device/${phd71}`, { n: 65, where: (r) => ['Patient/patientExample-1', `Device/${phd71}`].includes(r.subject?.reference) }],
    // a chain through a Device subject: the coincident time stamps of the three devices of type 65573
    ['Observation', `subject:Device.type=${q(`${mdc}|65573`)}`, { n: 5, where: (r) => hasCoding(target(r.subject?.reference)?.type, mdc, '65573') }],
  ])('%s?%s', async (type, query, expected) => check(type, query, expected));

  test('an absolute reference with the server base matches like Type/id', async () => {
    await check('Encounter', `subject=${q(`${srv.baseUrl}/Patient/${cole}`)}`, { n: 20, where: subjectIs(`Patient/${cole}`) });
    await check('Observation', `device=${q(`${srv.baseUrl}/Device/${phd74}`)}`, { n: 54, where: (r) => r.device?.reference === `Device/${phd74}` });
  });

  test('the PHD transaction bundle\'s urn:uuid references point at the resources it created', async () => {
    // bundle-example-1.json: two Observations name the pulse oximeter (fullUrl urn:uuid:c87cc91b...) as device
    const device = corpus.of('Device').find((d) => d.identifier?.some((i: any) => i.value === '00-1C-05-04-00-00-78-25')) as Res;
    expect(device.id).not.toBe('phd-001'); // POST: the server chose the id
    await check('Observation', `device=Device/${device.id}`, { n: 2, where: (r) => r.device?.reference === `Device/${device.id}` });
    await check('Observation', `device.identifier=${q('urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680|00-1C-05-04-00-00-78-25')}`, {
      n: 2,
      where: (r) => r.device?.reference === `Device/${device.id}`,
    });
  });
});

describe('chains and _has', () => {
  const conditionsOf = (patients: string[]) => (r: Res) => patients.some((p) => r.subject?.reference === `Patient/${p}`);
  const patientsWith = (type: string, param: (r: Res) => string | undefined, where: (r: Res) => boolean) => (p: Res) =>
    corpus.of(type).some((r) => where(r) && param(r) === `Patient/${p.id}`);
  test.each<[string, string, Expected]>([
    ['Condition', 'subject:Patient.name=medhurst', { n: 49, where: conditionsOf([P.medhurst]) }],
    ['Condition', 'subject.family=upton', { n: 219, where: conditionsOf([P.upton]) }],
    // three women born 1927-05-21
    ['Condition', 'subject:Patient.birthdate=1927', { n: 301, where: (r) => target(r.subject?.reference)?.birthDate?.startsWith('1927') }],
    ['Condition', 'subject:Patient.gender=male', { n: 78, where: (r) => target(r.subject?.reference)?.gender === 'male' }],
    // two levels: Procedure.encounter → Encounter.subject → Patient.name
    ['Procedure', 'encounter.subject:Patient.name=schmitt', { n: 8, where: (r) => target(target(r.encounter?.reference)?.subject?.reference)?.name?.[0].family === 'Schmitt836' }],
    // the accent of Joaquín through a chain
    ['Encounter', 'practitioner.name=joaquin', { n: 38, where: (r) => participants(r).includes(`Practitioner/${joaquin}`) }],
    // three Organizations share the name
    ['Encounter', `service-provider.name=${q('newman memorial')}`, { n: 691, where: (r) => target(r.serviceProvider?.reference)?.name === 'NEWMAN MEMORIAL COUNTY HOSPITAL' }],
    ['Immunization', 'location.name=lyon', { n: 14, where: (r) => r.location?.reference === `Location/${lyon}` }],
    ['MedicationRequest', 'encounter.class=EMER', { n: 19, where: (r) => target(r.encounter?.reference)?.class?.code === 'EMER' }],
    // the whole period of the Encounter in 1985
    ['Condition', 'encounter.date=1985', {
      n: 21,
      where: (r) => {
        const p = periodSpan(target(r.encounter?.reference)?.period);
        return !!p && dateMatches('eq', span('1985'), p);
      },
    }],
    // patientExample-1 and the Patient created by bundle-example-1.json share this identifier
    ['Observation', `subject:Patient.identifier=${q('urn:oid:2.999.1.2.3.4.5.6.7.8.10|sisansarahId')}`, {
      n: 64,
      where: (r) => target(r.subject?.reference)?.identifier?.some((i: any) => i.value === 'sisansarahId'),
    }],
    // reverse chains
    ['Patient', `_has:Condition:subject:code=${q(`${sct}|444814009`)}`, { n: 6, where: patientsWith('Condition', (c) => c.subject?.reference, (c) => hasCoding(c.code, sct, '444814009')) }],
    ['Patient', '_has:Condition:patient:code=840539006', { n: 2, where: patientsWith('Condition', (c) => c.subject?.reference, (c) => hasCoding(c.code, undefined, '840539006')) }],
    ['Patient', '_has:Immunization:patient:vaccine-code=208', { n: 4, where: patientsWith('Immunization', (i) => i.patient?.reference, (i) => hasCoding(i.vaccineCode, undefined, '208')) }],
    ['Patient', '_has:Encounter:subject:class=EMER&gender=female', {
      n: 7,
      where: (p) => p.gender === 'female' && patientsWith('Encounter', (e) => e.subject?.reference, (e) => e.class?.code === 'EMER')(p),
    }],
    ['Patient', `_has:Encounter:subject:_has:Condition:encounter:code=${q(`${sct}|444814009`)}`, {
      n: 6,
      where: (p) => corpus.of('Condition').some((c) => hasCoding(c.code, sct, '444814009') && target(c.encounter?.reference)?.subject?.reference === `Patient/${p.id}`),
    }],
    ['Practitioner', `_has:Encounter:practitioner:subject=Patient/${cole}`, {
      n: 3,
      where: (pr) => corpus.of('Encounter').some((e) => e.subject?.reference === `Patient/${cole}` && participants(e).includes(`Practitioner/${pr.id}`)),
    }],
    ['Organization', `_has:Encounter:service-provider:subject=Patient/${cole}`, {
      n: 3,
      where: (o) => corpus.of('Encounter').some((e) => e.subject?.reference === `Patient/${cole}` && e.serviceProvider?.reference === `Organization/${o.id}`),
    }],
    ['Patient', `_has:Observation:subject:code=${q(`${mdc}|150456`)}`, {
      n: 2,
      where: (p) => corpus.of('Observation').some((o) => hasCoding(o.code, mdc, '150456') && o.subject?.reference === `Patient/${p.id}`),
    }],
    // coincident time stamps have a Device as subject: two PHD devices and the bundle's oximeter
    ['Device', `_has:Observation:subject:code=${q(`${mdc}|67975`)}`, {
      n: 3,
      where: (d) => corpus.of('Observation').some((o) => hasCoding(o.code, mdc, '67975') && o.subject?.reference === `Device/${d.id}`),
    }],
    ['Device', `_has:Observation:device:code=${q(`${mdc}|150456`)}`, {
      n: 2,
      where: (d) => corpus.of('Observation').some((o) => hasCoding(o.code, mdc, '150456') && o.device?.reference === `Device/${d.id}`),
    }],
  ])('%s?%s', async (type, query, expected) => check(type, query, expected));
});

describe('_include and _revinclude', () => {
  /** "Type/id" of every resource a list of references names, once each. */
  const named = (list: (string | undefined)[]) => [...new Set(list.filter((x): x is string => !!x && !!target(x)))].sort();
  const key = (r: Res) => `${r.resourceType}/${r.id}`;
  const of = (type: string, where: (r: Res) => boolean) => corpus.of(type).filter(where);

  test.each<[string, number, number, () => { matches: Res[]; included: string[] }]>([
    [`Encounter?subject=Patient/${cole}&_include=Encounter:participant`, 20, 3, () => {
      const m = of('Encounter', subjectIs(`Patient/${cole}`));
      return { matches: m, included: named(m.flatMap(participants)) };
    }],
    [`Encounter?subject=Patient/${cole}&_include=Encounter:subject&_include=Encounter:service-provider`, 20, 4, () => {
      const m = of('Encounter', subjectIs(`Patient/${cole}`));
      return { matches: m, included: named([`Patient/${cole}`, ...m.map((e) => e.serviceProvider?.reference)]) };
    }],
    [`Patient?_id=${cole}&_revinclude=Encounter:subject&_revinclude=Condition:subject`, 1, 26, () => ({
      matches: [byId('Patient', cole)],
      included: [...of('Encounter', subjectIs(`Patient/${cole}`)), ...of('Condition', subjectIs(`Patient/${cole}`))].map(key).sort(),
    })],
    [`Condition?code=${q(`${sct}|444814009`)}&_include=Condition:subject&_include=Condition:encounter`, 7, 13, () => {
      const m = of('Condition', (c) => hasCoding(c.code, sct, '444814009'));
      return { matches: m, included: named(m.flatMap((c) => [c.subject?.reference, c.encounter?.reference])) };
    }],
    // :iterate follows the included Encounters on to their Organizations
    [`MedicationRequest?subject=Patient/${cole}&_include=MedicationRequest:encounter&_include:iterate=Encounter:service-provider`, 3, 4, () => {
      const m = of('MedicationRequest', subjectIs(`Patient/${cole}`));
      const encounters = named(m.map((r) => r.encounter?.reference));
      return { matches: m, included: [...encounters, ...named(encounters.map((e) => target(e)?.serviceProvider?.reference))].sort() };
    }],
    [`Observation?code=${q(`${mdc}|150456`)}&_include=Observation:device`, 14, 2, () => {
      const m = of('Observation', (o) => hasCoding(o.code, mdc, '150456'));
      return { matches: m, included: named(m.map((o) => o.device?.reference)) };
    }],
    [`Device?_id=${phd74}&_revinclude=Observation:device`, 1, 54, () => ({
      matches: [byId('Device', phd74)],
      included: of('Observation', (o) => o.device?.reference === `Device/${phd74}`).map(key).sort(),
    })],
    ['Observation?_id=coin-example-1&_include=Observation:subject:Device', 1, 1, () => ({
      matches: [byId('Observation', 'coin-example-1')],
      included: ['Device/phd-00601900010E9234.F45EABA80832'],
    })],
    ['Observation?_id=coin-example-1&_include=Observation:subject:Patient', 1, 0, () => ({ matches: [byId('Observation', 'coin-example-1')], included: [] })],
    [`Device?_id=${phd71}&_revinclude=Observation:subject`, 1, 3, () => ({
      matches: [byId('Device', phd71)],
      included: of('Observation', subjectIs(`Device/${phd71}`)).map(key).sort(),
    })],
    [`Location?_id=${lyon}&_revinclude=Immunization:location`, 1, 14, () => ({
      matches: [byId('Location', lyon)],
      included: of('Immunization', (i) => i.location?.reference === `Location/${lyon}`).map(key).sort(),
    })],
  ])('%s: %i matches, %i included', async (query, nMatches, nIncluded, derive) => {
    const want = derive();
    expect([want.matches.length, want.included.length]).toEqual([nMatches, nIncluded]);
    const found = await searchAll(srv, `${query}&_count=500`);
    expect(found.matches.map(key).sort()).toEqual(want.matches.map(key).sort());
    // paging may repeat an included resource on two pages; each must be there at least once
    expect([...new Set(found.included.map(key))].sort()).toEqual(want.included);
  });
});
