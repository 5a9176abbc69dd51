import type { Bundle } from '@medplum/fhirtypes';
import { call, type TestServer } from './harness.js';
import { P, searchAll, startCorpusServer, type Corpus, type Res } from './corpus.js';

// Loading the real corpora in ../shared/data (Synthea, HL7 PHD IG and R4 examples, loaded once per
// run by corpus.ts), and result parameters over them. Expected answers come from the data files and
// the R4 rules, never from the server.

let srv: TestServer;
let corpus: Corpus;
beforeAll(async () => ({ srv, corpus } = await startCorpusServer()), 900_000);
afterAll(async () => srv?.stop());

const patientCount = 17; // 13 Synthea + patient-example + patientExample-1, -2 + the bundle's Patient

describe('loading', () => {
  // Checked by hand in the files:
  const expectedRejections: Record<string, [number, string]> = {
    // 48 nested Questionnaire.item of type "display" have no linkId, which R4 makes 1..1
    'fhir-r4-examples/bundle-questionnaire.json': [400, 'linkId'],
    // two top-level concepts share the code "chol-mass": invariant csd-1 (codes are unique)
    'fhir-r4-examples/codesystem-example.json': [400, 'csd-1'],
    // Parameters has no REST endpoint in R4 (it is not persisted)
    'fhir-r4-examples/parameters-example.json': [404, 'Parameters'],
  };

  test('rejects exactly the resources checked by hand, each for its reason', () => {
    expect(corpus.rejected.map((r) => r.source).sort()).toEqual(Object.keys(expectedRejections).sort());
    for (const r of corpus.rejected) {
      const [status, reason] = expectedRejections[r.source];
      expect([r.source, r.status]).toEqual([r.source, status]);
      expect(r.reason).toContain(reason);
    }
  });

  test('keeps the R4 Binary example, whose base64 is wrapped with whitespace (the R4 base64Binary regex allows it)', () => {
    expect(corpus.rejected.map((r) => r.source)).not.toContain('fhir-r4-examples/binary-example.json');
  });

  test('holds every loaded resource: per type, _summary=count equals the count from the files', async () => {
    // 7160 Synthea lines + 68 R4 examples (72 files, 3 rejected, organization-1.json and
    // organization-example.json are both Organization/hl7) + 27 PHD files + 6 + 47 bundle entries
    expect(corpus.resources).toHaveLength(7308);
    const types = [...new Set(corpus.resources.map((r) => r.resourceType))].sort();
    for (const type of types) {
      const r = await call(srv, 'GET', `${type}?_summary=count`);
      expect([type, r.status, (r.body as Bundle).total]).toEqual([type, 200, corpus.of(type).length]);
    }
    expect(corpus.of('Patient')).toHaveLength(patientCount);
  });

  test('the server resolved the conditional references of the Immunizations itself', async () => {
    // Immunization.000.ndjson: "location": {"reference": "Location?identifier=https://github.com/
    // synthetichealth/synthea|e905bbc1-bb1d-3d86-a49d-954a306b53a1"}; that Location has this id
    const imm = await call(srv, 'GET', 'Immunization/0605ca24-05de-75c3-fed7-f20a8b9a94b1');
    expect(imm.status).toBe(200);
    expect(imm.body.location.reference).toBe('Location/e905bbc1-bb1d-3d86-a49d-954a306b53a1');
  });

  test('load report', () => {
    // printed for whoever reads the test output
    console.info(
      `corpus: ${corpus.resources.length} resources loaded in ${corpus.loadMs} ms; rejected:\n` +
        corpus.rejected.map((r) => `  ${r.source}: ${r.status} ${r.reason.slice(0, 200)}`).join('\n'),
    );
    expect(corpus.loadMs).toBeGreaterThan(0);
  });
});

describe('result parameters', () => {
  test.each([
    ['Encounter?_summary=count', 1216],
    [`Encounter?subject=Patient/${P.upton}&_summary=count`, 708],
    ['Condition?code=160903007&_summary=count', 212],
    ['Immunization?date=2021&_summary=count', 27],
  ])('%s gives the total and no entry', async (url, total) => {
    const r = await call(srv, 'GET', url);
    expect(r.status).toBe(200);
    expect((r.body as Bundle).total).toBe(total);
    expect((r.body as Bundle).entry ?? []).toHaveLength(0);
  });

  test('_elements returns the named elements, the mandatory ones, and marks the resource SUBSETTED', async () => {
    const r = await call(srv, 'GET', `Patient?_id=${P.medhurst}&_elements=birthDate,gender`);
    const res = (r.body as Bundle).entry?.find((e) => e.search?.mode === 'match')?.resource as Res;
    expect(res).toMatchObject({ resourceType: 'Patient', id: P.medhurst, birthDate: '1927-05-21', gender: 'female' });
    expect(Object.keys(res).sort()).toEqual(['birthDate', 'gender', 'id', 'meta', 'resourceType']);
    expect(res.meta.tag).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'SUBSETTED' })]));
  });

  test('_elements names a choice element by its base name: deceased gives deceasedDateTime', async () => {
    const r = await call(srv, 'GET', `Patient?_id=${P.medhurst}&_elements=deceased`);
    const res = (r.body as Bundle).entry?.find((e) => e.search?.mode === 'match')?.resource as Res;
    expect(res.deceasedDateTime).toBe('1989-05-09T20:35:22-04:00');
    expect(res.birthDate).toBeUndefined();
  });

  test('_summary=true keeps the summary elements only and marks the resource SUBSETTED', async () => {
    const r = await call(srv, 'GET', `Patient?_id=${P.medhurst}&_summary=true`);
    const res = (r.body as Bundle).entry?.find((e) => e.search?.mode === 'match')?.resource as Res;
    // Patient.identifier, name, telecom, gender, birthDate, deceased[x] and address are summary
    // elements; text, extension, communication, maritalStatus and multipleBirth[x] are not
    expect(res).toMatchObject({ id: P.medhurst, gender: 'female', birthDate: '1927-05-21' });
    expect(res.telecom).toEqual([{ system: 'phone', value: '555-810-7203', use: 'home' }]);
    expect(res.name).toHaveLength(2);
    for (const k of ['text', 'extension', 'communication', 'maritalStatus', 'multipleBirthBoolean']) expect([k, res[k]]).toEqual([k, undefined]);
    expect(res.meta.tag).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'SUBSETTED' })]));
  });

  // R4 Patient.deceased[x] is a summary element (isSummary in the StructureDefinition), so
  // _summary=true must keep deceasedDateTime like birthDate
  test('_summary=true keeps a summary choice element: Patient.deceased[x]', async () => {
    const r = await call(srv, 'GET', `Patient?_id=${P.medhurst}&_summary=true`);
    const res = (r.body as Bundle).entry?.find((e) => e.search?.mode === 'match')?.resource as Res;
    expect(res.deceasedDateTime).toBe('1989-05-09T20:35:22-04:00');
  });

  test('_total=accurate counts all 90 of a patient\'s encounters on a page of 7', async () => {
    const r = await call(srv, 'GET', `Encounter?subject=Patient/${P.medhurst}&_count=7&_total=accurate`);
    expect((r.body as Bundle).total).toBe(90);
    expect((r.body as Bundle).entry?.filter((e) => e.search?.mode === 'match')).toHaveLength(7);
  });

  test('_count pages sorted by _id cover all of a patient\'s encounters once, in order', async () => {
    const found = await searchAll(srv, `Encounter?subject=Patient/${P.medhurst}&_sort=_id&_count=7`);
    const ids = found.matches.map((r) => r.id as string);
    const want = corpus.of('Encounter').filter((r) => r.subject?.reference === `Patient/${P.medhurst}`).map((r) => r.id as string);
    expect(want).toHaveLength(90);
    expect(found.pages).toBe(13); // 12 pages of 7 and one of 6
    expect(ids).toEqual([...want].sort()); // uuids: lower-case hex and dashes, one order in any collation
  });

  test.each(['_lastUpdated', '-_lastUpdated', '-_id'])('_sort=%s pages over 556 Conditions see each once, in order', async (sort) => {
    // Conditions written in the same millisecond share a _lastUpdated: the order must still be
    // total for pages not to repeat or skip any
    const found = await searchAll(srv, `Condition?_sort=${sort}&_count=50`);
    const ids = found.matches.map((r) => r.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(corpus.of('Condition').map((r) => r.id as string).sort());
    const key = (r: Res) => (sort.endsWith('_id') ? (r.id as string) : (r.meta.lastUpdated as string));
    const keys = found.matches.map(key);
    const sorted = [...keys].sort((a, b) => (sort.startsWith('-') ? (a < b ? 1 : a > b ? -1 : 0) : a < b ? -1 : a > b ? 1 : 0));
    if (sort.endsWith('_lastUpdated')) expect(keys.map((k) => Date.parse(k))).toEqual(sorted.map((k) => Date.parse(k)));
    else expect(keys).toEqual(sorted);
  });
});
