import type { TestServer } from './harness.js';
import { expectSearch, fold, P, startCorpusServer, type Corpus, type Expected } from './corpus.js';

// Token and string search over the real corpora in ../shared/data (Synthea, HL7 PHD IG and R4
// examples, loaded once per run by corpus.ts). Expected answers come from the data files and the R4
// search rules (search.html), never from the server: ids listed by hand (found with jq over the
// files), or a count found the same way with the filter that states the rule, which the test runs
// over the in-memory view of what was loaded.

let srv: TestServer;
let corpus: Corpus;
beforeAll(async () => ({ srv, corpus } = await startCorpusServer()), 900_000);
afterAll(async () => srv?.stop());

const check = (type: string, query: string, expected: Expected) => expectSearch(srv, corpus, type, query, expected);
const q = encodeURIComponent;

const synthea = Object.values(P);
// patient-example.json: Peter James Chalmers, male, 1974-12-25; the PHD patients have no gender
// nor birth date, and bundle-example-1.json creates one more (Sisansarah Gyannea) with a server id.
const women = [P.medhurst, P.cummings, P.upton, P.champlin, P.schumm, P.johnson, P.shanahan, P.jast, P.okeefe];
const men = [P.cole, P.schmitt, P.streich, P.emmerich, 'example'];
const patientCount = 17; // 13 Synthea + patient-example + patientExample-1, -2 + the bundle's Patient

describe('tokens', () => {
  const ssn = 'http://hl7.org/fhir/sid/us-ssn';
  const dl = 'urn:oid:2.16.840.1.113883.4.3.25';
  const sct = 'http://snomed.info/sct';
  const cvx = 'http://hl7.org/fhir/sid/cvx';
  test.each<[string, string, Expected]>([
    ['Patient', `identifier=${q(`${ssn}|999-94-5397`)}`, [P.medhurst]],
    ['Patient', 'identifier=999-94-5397', [P.medhurst]],
    // "|code": only identifiers without a system; every Synthea identifier has one
    ['Patient', `identifier=${q('|999-94-5397')}`, []],
    ['Patient', `identifier=${q(`${ssn}|`)}`, synthea],
    // driver's licences: the 10 patients old enough (jq 'select(.identifier[].system == "urn:oid:...25")')
    ['Patient', `identifier=${q(`${dl}|`)}`, synthea.filter((id) => ![P.cole, P.schmitt, P.shanahan].includes(id))],
    ['Patient', `identifier=${q(`${dl}|999-94-5397`)}`, []],
    // tokens are case-sensitive: a driver's licence number and a gender code
    ['Patient', 'identifier=S99940903', [P.medhurst]],
    ['Patient', 'identifier=s99940903', []],
    ['Patient', 'gender=FEMALE', []],
    // the PHD bundle's ifNoneExist names system 2.9991... instead of 2.999.1..., so it created a
    // second Patient with the identifier of patientExample-1
    ['Patient', `identifier=${q('urn:oid:2.999.1.2.3.4.5.6.7.8.10|sisansarahId')}`, {
      n: 2,
      where: (r) => (r.identifier ?? []).some((i: any) => i.value === 'sisansarahId'),
    }],
    // :not keeps resources with no matching value, including those with no identifier at all
    ['Patient', `identifier:not=${q(`${ssn}|999-94-5397`)}`, { n: patientCount - 1, where: (r) => r.id !== P.medhurst }],
    // :text on an Identifier is its type.text: "Medical Record Number", "Social Security Number"
    ['Patient', `identifier:text=${q('medical record')}`, synthea],
    ['Patient', 'identifier:text=SOCIAL', synthea],
    ['Patient', 'telecom=555-810-7203', [P.medhurst]],
    ['Patient', 'phone=555-810-7203', [P.medhurst]],
    ['Patient', `phone=${q('(03) 5555 6473')}`, ['example']],
    ['Patient', 'email=555-810-7203', []],
    ['Practitioner', `email=${q('Joaquín233.Duarte203@example.com')}`, ['434d1b72-48ce-3581-8b8a-96d49f9c52d8']],
    ['Patient', 'gender=female', women],
    ['Patient', 'gender=male', men],
    ['Patient', `gender=${q('http://hl7.org/fhir/administrative-gender|female')}`, women],
    ['Patient', `gender=${q('http://hl7.org/fhir/administrative-gender|')}`, [...women, ...men]],
    ['Patient', `gender=${q('http://snomed.info/sct|female')}`, []],
    ['Patient', 'gender:not=male', { n: patientCount - men.length, where: (r) => r.gender !== 'male' }],
    ['Patient', 'gender:missing=true', { n: 3, where: (r) => !r.gender }],
    // Condition.code: SNOMED 160903007 "Full-time employment (finding)" on 212 of 555 lines
    ['Condition', `code=${q(`${sct}|160903007`)}`, { n: 212, where: (r) => r.code.coding[0].code === '160903007' }],
    ['Condition', 'code=160903007', { n: 212, where: (r) => r.code.coding[0].code === '160903007' }],
    ['Condition', `code=${q('http://loinc.org|160903007')}`, []],
    ['Condition', `code=${q(`${sct}|`)}`, { n: 556, where: (r) => r.code.coding.some((c: any) => c.system === sct) }],
    ['Condition', `code:not=${q(`${sct}|160903007`)}`, { n: 344, where: (r) => r.code.coding[0].code !== '160903007' }],
    ['Condition', `code=${q(`${sct}|444814009,${sct}|10509002`)}`, { n: 13, where: (r) => ['444814009', '10509002'].includes(r.code.coding[0].code) }],
    // :text matches Coding.display or CodeableConcept.text like a string (starts with, any case)
    ['Condition', 'code:text=full-time', { n: 212, where: (r) => r.code.coding[0].code === '160903007' }],
    ['Condition', `code:text=${q('VIRAL SINUSITIS')}`, { n: 7, where: (r) => r.code.coding[0].code === '444814009' }],
    ['Immunization', `vaccine-code=${q(`${cvx}|140`)}`, { n: 110, where: (r) => r.vaccineCode.coding[0].code === '140' }],
    ['Immunization', `vaccine-code=${q(`${cvx}|`)}`, { n: 161, where: (r) => r.vaccineCode.coding[0].system === cvx }],
    // CVX 207, 208 and 212: 6 + 8 + 1, all displayed "SARS-COV-2 (COVID-19) vaccine, ..."
    ['Immunization', 'vaccine-code:text=sars-cov-2', { n: 15, where: (r) => ['207', '208', '212'].includes(r.vaccineCode.coding[0].code) }],
    // immunization-example.json: a coding without display, text "Fluvax (Influenza)"
    ['Immunization', 'vaccine-code:text=fluvax', ['example']],
    // encounter-example.json is an inpatient encounter too
    ['Encounter', 'class=IMP', { n: 50, where: (r) => r.class?.code === 'IMP' }],
    ['Encounter', `class=${q('http://terminology.hl7.org/CodeSystem/v3-ActCode|EMER')}`, { n: 23, where: (r) => r.class?.code === 'EMER' }],
    ['Encounter', 'status:not=finished', ['example']],
    // type 185347001 is displayed "Encounter for problem (procedure)" 497 times and "Encounter for problem" 57 times
    ['Encounter', `type:text=${q('encounter for problem')}`, { n: 554, where: (r) => r.type?.[0]?.coding[0].code === '185347001' }],
    ['Encounter', `type=${q(`${sct}|185347001`)}&class=AMB`, { n: 507, where: (r) => r.type?.[0]?.coding[0].code === '185347001' && r.class.code === 'AMB' }],
  ])('%s?%s', async (type, query, expected) => check(type, query, expected));

  // condition-example.json: coding display "Burn of ear", CodeableConcept.text "Burnt Ear". R4
  // search.html, token :text: "searches text associated with the code/value - either
  // CodeableConcept.text, Coding.display, or Identifier.type.text".
  test('Condition?code:text=burnt matches CodeableConcept.text when the coding has its own display', async () => {
    await check('Condition', 'code:text=burnt', ['example']);
  });
});

describe('strings', () => {
  const joaquin = '434d1b72-48ce-3581-8b8a-96d49f9c52d8';
  test.each<[string, string, Expected]>([
    ['Patient', 'family=medhurst', [P.medhurst]],
    ['Patient', 'family=MEDH', [P.medhurst]],
    // a maiden name is a second HumanName
    ['Patient', 'family=cummerata161', [P.medhurst]],
    ['Patient', 'family=cumm', [P.medhurst, P.cummings]],
    ['Patient', 'family:exact=Medhurst46', [P.medhurst]],
    ['Patient', 'family:exact=medhurst46', []],
    ['Patient', 'family:exact=Medhurst', []],
    ['Patient', `family=${q("o'keefe")}`, [P.okeefe]],
    ['Patient', 'family:contains=KEEFE', [P.okeefe]],
    ['Patient', 'family:contains=hurst4', [P.medhurst]],
    // the second given name of several
    ['Patient', 'given=larue', [P.medhurst]],
    ['Patient', 'given=ai120', [P.upton]],
    ['Patient', 'given=marine542&given=ai120', [P.upton]],
    ['Patient', 'given=marine542&given=larue605', []],
    ['Patient', 'given=marine542,larue605', [P.medhurst, P.upton]],
    ['Patient', 'given:exact=Ai120', [P.upton]],
    // name covers family, given and prefix of every HumanName: "Mrs." on 7 patients, "Mr." on 2
    ['Patient', 'name=mrs', [P.medhurst, P.cummings, P.upton, P.champlin, P.schumm, P.johnson, P.jast]],
    ['Patient', 'name=mr.', [P.streich, P.emmerich]],
    ['Patient', 'name:exact=Mrs.', [P.medhurst, P.cummings, P.upton, P.champlin, P.schumm, P.johnson, P.jast]],
    ['Patient', 'name:exact=mrs.', []],
    ['Patient', 'name=peter', ['example']],
    ['Patient', 'name=sisansarah', { n: 2, where: (r) => r.name?.some((n: any) => n.given?.includes('Sisansarah')) }],
    ['Patient', 'address-city=emporia', [P.medhurst, P.upton, P.johnson]],
    ['Patient', 'address-city=OVERLAND', [P.cummings]],
    ['Patient', 'address-city:exact=Emporia', [P.medhurst, P.upton, P.johnson]],
    ['Patient', 'address-city:exact=EMPORIA', []],
    ['Patient', 'address-city:contains=ILL', [P.cole, P.streich, 'example']], // HaysvILLe, PleasantvILLe
    ['Patient', 'address-state=ks', synthea],
    ['Patient', 'address-postalcode=668', [P.medhurst, P.upton, P.johnson]],
    // Synthea writes Practitioner cities in capitals; "Joaquín233 Duarte203" has an accent
    ['Practitioner', 'given=joaquin', [joaquin]],
    ['Practitioner', `given=${q('JOAQUÍN233')}`, [joaquin]],
    ['Practitioner', `given:exact=${q('Joaquín233')}`, [joaquin]],
    ['Practitioner', 'given:exact=Joaquin233', []],
    ['Practitioner', `name=${q('joaquín')}`, [joaquin]],
    ['Practitioner', `name:contains=${q('AQUÍN')}`, [joaquin]],
    ['Practitioner', 'family=simonis', { n: 2, where: (r) => r.name[0].family === 'Simonis280' }],
    ['Practitioner', 'name=dr', { n: 44, where: (r) => r.name[0].prefix?.[0]?.startsWith('Dr') }],
    ['Practitioner', `address-city=${q('overland park')}`, { n: 5, where: (r) => r.address?.[0]?.city === 'OVERLAND PARK' }],
    ['Practitioner', 'address-city=shawnee', { n: 4, where: (r) => fold(r.address?.[0]?.city ?? '').startsWith('shawnee') }],
    ['Practitioner', 'address-city:exact=SHAWNEE', { n: 3, where: (r) => r.address?.[0]?.city === 'SHAWNEE' }],
    ['Practitioner', 'address-city:contains=mission', { n: 1, where: (r) => r.address?.[0]?.city === 'SHAWNEE MISSION' }],
  ])('%s?%s', async (type, query, expected) => check(type, query, expected));
});
