import { testDataDir } from './test-data.js';
import { readdirSync, readFileSync } from 'node:fs';
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { Observation, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { loadConformance } from '../src/fhir/conformance.js';
import { checkProfile } from '../src/fhir/profile-check.js';
import { compileProfile } from '../src/fhir/profile-compile.js';
import { Validator } from '../src/fhir/validator.js';

// Serium's compiled profile validator against @medplum/core's validateResource(resource, { profile }),
// the check it replaces: every Observation in the shared PHD IG and R4 examples against each of
// the ten R4 vital-signs profiles, then hand-made mutations of conforming vital signs. Where the
// two verdicts differ, the test asserts the R4 answer and says why.

const { local, terminology } = loadConformance();
const validator = new Validator(terminology, local.profiles);
const profiles = [...local.profiles.values()];
const sdOf = (name: string) => local.profiles.get(`http://hl7.org/fhir/StructureDefinition/${name}`) as StructureDefinition;

type Verdict = 'valid' | 'invalid';
const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal';

/** The resource without meta.profile, so that only the profile under test is checked. */
function unclaimed<T extends Resource>(resource: T): T {
  const copy = structuredClone(resource);
  if (copy.meta) delete copy.meta.profile;
  return copy;
}

function medplumVerdict(resource: Resource, sd: StructureDefinition): Verdict {
  try {
    return validateResource(resource, { profile: sd }).some(isError) ? 'invalid' : 'valid';
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue?.some(isError) ? 'invalid' : 'valid';
    throw err;
  }
}

/** Serium's errors: the base checks and the compiled profile, as a write runs them. */
function seriumErrors(resource: Resource, sd: StructureDefinition): OperationOutcomeIssue[] {
  const { base, profile } = validator.check(resource, [sd.url as string]);
  return [...base, ...profile].filter(isError);
}
const seriumVerdict = (resource: Resource, sd: StructureDefinition): Verdict => (seriumErrors(resource, sd).length ? 'invalid' : 'valid');

// --- every Observation in the shared examples ------------------------------------------------

const dataDir = testDataDir() + '/';
const examples: [string, Observation][] = [];
for (const dir of ['phd-ig-examples', 'fhir-r4-examples']) {
  for (const file of readdirSync(dataDir + dir).filter((f) => f.endsWith('.json')).sort()) {
    const json = JSON.parse(readFileSync(`${dataDir}${dir}/${file}`, 'utf8')) as Resource;
    if (json.resourceType === 'Observation') examples.push([file, unclaimed(json)]);
    if (json.resourceType === 'Bundle') {
      json.entry?.forEach((e, i) => {
        if (e.resource?.resourceType === 'Observation') examples.push([`${file} entry[${i}]`, unclaimed(e.resource)]);
      });
    }
  }
}
const example = (name: string) => structuredClone(examples.find(([n]) => n === name)?.[1] as Observation);

/**
 * Which examples conform to which profiles, by R4; every other pair does not. The PHD heart-rate
 * and SpO2 Observations carry the LOINC code beside the MDC one, a vital-signs category, a patient
 * subject, a day-precise time and a UCUM unit; the rest lack the vital-signs category (PHD
 * device, coincident-time and glucose observations), effective[x] (the lab panel of the R4
 * DiagnosticReport example) or the subject (observation-decimal), or point the subject at a Device.
 */
const continuous = (entries: number[]) => entries.map((i) => `bundle-continuousnonin.json entry[${i}]`);
const conformsTo = new Map<string, string[]>([
  ...['numeric-spotnumeric.json', 'bundle-example-1.json entry[5]', ...continuous([2, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45])].map(
    (n) => [n, ['heartrate', 'vitalsigns']] as [string, string[]],
  ),
  ...['numeric-spo2-alarm.json', 'bundle-example-1.json entry[4]', ...continuous([1, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44])].map(
    (n) => [n, ['oxygensat', 'vitalsigns']] as [string, string[]],
  ),
  ['compound-numeric-blood-pressure.json', ['bp', 'vitalsigns']],
  ['compound-numeric-blood-pressure-no-mean.json', ['bp', 'vitalsigns']],
  ['temperature-observation.json', ['bodytemp', 'vitalsigns']],
  ['observation-example.json', ['bodyweight', 'vitalsigns']],
]);

/**
 * Pairs where medplum's verdict is not R4's. Both PHD blood pressures have components coded
 * LOINC 8480-6 and 8462-4 with mm[Hg] values, which is what the SystolicBP and DiastolicBP
 * slices ask (discriminator code.coding.code and .system, fixed through the SBPCode / DBPCode
 * slices of component.code.coding). medplum's profile parser files those nested coding slices
 * under component's slicing, so SystolicBP and DiastolicBP never match any component and every
 * blood pressure fails with "expected 1..1, but found 0".
 */
const medplumWrong = new Set(['compound-numeric-blood-pressure.json bp', 'compound-numeric-blood-pressure-no-mean.json bp']);

describe('the shared example Observations', () => {
  test('are all here', () => {
    expect(examples.length).toBe(88);
    expect(profiles.map((p) => p.id).sort()).toEqual(
      ['bmi', 'bodyheight', 'bodytemp', 'bodyweight', 'bp', 'heartrate', 'oxygensat', 'resprate', 'vitalsigns', 'vitalspanel'],
    );
  });

  test.each(examples)('%s: Serium agrees with R4, and with medplum except where medplum is wrong', (name, resource) => {
    const spec: Record<string, Verdict> = {};
    const serium: Record<string, Verdict> = {};
    const medplum: Record<string, Verdict> = {};
    for (const sd of profiles) {
      const id = sd.id as string;
      spec[id] = conformsTo.get(name)?.includes(id) ? 'valid' : 'invalid';
      serium[id] = seriumVerdict(resource, sd);
      const m = medplumVerdict(resource, sd);
      medplum[id] = medplumWrong.has(`${name} ${id}`) ? (m === 'valid' ? 'invalid' : 'valid') : m;
    }
    expect(serium).toEqual(spec);
    expect(medplum).toEqual(spec); // with the pairs medplum gets wrong flipped back
  });
});

// --- mutations of conforming vital signs -------------------------------------------------------

const base = {
  heartrate: () => example('numeric-spotnumeric.json'),
  oxygensat: () => example('numeric-spo2-alarm.json'),
  bp: () => example('compound-numeric-blood-pressure.json'),
  bodyweight: () => example('observation-example.json'),
  bodytemp: () => example('temperature-observation.json'),
};
type Profile = keyof typeof base;
type O = Observation & Record<string, unknown>;

interface Mutation {
  profile: Profile;
  change: (o: O) => void;
  /** R4's answer; for an invalid one, the element Serium must name and the issue code. */
  spec: Verdict;
  expression?: string;
  code?: OperationOutcomeIssue['code'];
  /** Why medplum's verdict differs from R4's, when it does. */
  medplumWrong?: string;
}

const loinc = (code: string) => ({ system: 'http://loinc.org', code });
const ucum = (value: number, code: string) => ({ value, unit: code, system: 'http://unitsofmeasure.org', code });
const setLoinc = (o: O, code: string) => {
  o.code.coding = o.code.coding?.map((c) => (c.system === 'http://loinc.org' ? { ...c, code } : c));
};
const SLICE_CHILDREN = 'medplum matches items to slices but does not check the slice elements\' own rules (here inside value[x]:valueQuantity)';
const NO_BINDINGS = 'medplum does not check the required bindings a profile adds';
const BP_SLICES = 'medplum never matches the SystolicBP / DiastolicBP slices (see the examples above), so it rejects every blood pressure';

const mutations: Record<string, Mutation> = {
  // heart rate
  'heart rate: LOINC 8310-5 instead of 8867-4': { profile: 'heartrate', change: (o) => setLoinc(o, '8310-5'), spec: 'invalid', expression: 'Observation.code.coding', code: 'required' },
  'heart rate: only the MDC code': { profile: 'heartrate', change: (o) => { o.code.coding = o.code.coding?.filter((c) => c.system !== 'http://loinc.org'); }, spec: 'invalid', expression: 'Observation.code.coding', code: 'required' },
  'heart rate: 8867-4 in a system other than LOINC': { profile: 'heartrate', change: (o) => { o.code.coding = [{ system: 'http://snomed.info/sct', code: '8867-4' }]; }, spec: 'invalid', expression: 'Observation.code.coding', code: 'required' },
  'heart rate: an extra SNOMED coding (open slicing)': { profile: 'heartrate', change: (o) => { o.code.coding?.push({ system: 'http://snomed.info/sct', code: '364075005' }); }, spec: 'valid' },
  'heart rate: no category': { profile: 'heartrate', change: (o) => { delete o.category; }, spec: 'invalid', expression: 'Observation.category', code: 'required' },
  'heart rate: laboratory instead of vital-signs category': { profile: 'heartrate', change: (o) => { o.category = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }]; }, spec: 'invalid', expression: 'Observation.category', code: 'required' },
  // VSCat.coding.system and .code are fixed: they hold for every coding of the category in VSCat.
  'heart rate: a second coding inside the vital-signs category': { profile: 'heartrate', change: (o) => { o.category![0].coding!.push({ system: 'http://example.org', code: 'vs' }); }, spec: 'invalid', expression: 'Observation.category[0].coding[1].code', code: 'value', medplumWrong: SLICE_CHILDREN.replace('value[x]:valueQuantity', 'category:VSCat') },
  'heart rate: the vital-signs category twice (VSCat is 1..1)': { profile: 'heartrate', change: (o) => { o.category = [o.category![0], o.category![0]]; }, spec: 'invalid', expression: 'Observation.category', code: 'structure' },
  'heart rate: unit code kg instead of /min': { profile: 'heartrate', change: (o) => { o.valueQuantity = ucum(48, 'kg'); }, spec: 'invalid', expression: 'Observation.valueQuantity.code', code: 'value', medplumWrong: SLICE_CHILDREN },
  'heart rate: a unit system other than UCUM': { profile: 'heartrate', change: (o) => { o.valueQuantity = { ...o.valueQuantity, system: 'http://example.org/units' }; }, spec: 'invalid', expression: 'Observation.valueQuantity.system', code: 'value', medplumWrong: SLICE_CHILDREN },
  'heart rate: a quantity without a value': { profile: 'heartrate', change: (o) => { delete o.valueQuantity!.value; }, spec: 'invalid', expression: 'Observation.valueQuantity.value', code: 'required', medplumWrong: SLICE_CHILDREN },
  'heart rate: a quantity without a unit': { profile: 'heartrate', change: (o) => { delete o.valueQuantity!.unit; }, spec: 'invalid', expression: 'Observation.valueQuantity.unit', code: 'required', medplumWrong: SLICE_CHILDREN },
  'heart rate: valueString instead of valueQuantity': { profile: 'heartrate', change: (o) => { delete o.valueQuantity; o.valueString = '48'; }, spec: 'invalid', expression: 'Observation.valueString', code: 'structure', medplumWrong: 'medplum does not check that a profile narrows value[x] to Quantity' },
  'heart rate: no value, no dataAbsentReason, no component (vs-2)': { profile: 'heartrate', change: (o) => { delete o.valueQuantity; delete o.component; }, spec: 'invalid', expression: 'Observation', code: 'invariant' },
  'heart rate: a dataAbsentReason instead of the value': { profile: 'heartrate', change: (o) => { delete o.valueQuantity; delete o.component; o.dataAbsentReason = { text: 'sensor off' }; }, spec: 'valid' },
  'heart rate: no value but a component (vs-2 asks nothing then)': { profile: 'heartrate', change: (o) => { delete o.valueQuantity; }, spec: 'valid' },
  'heart rate: a date-only effectiveDateTime (precise to the day)': { profile: 'heartrate', change: (o) => { o.effectiveDateTime = '2018-11-11'; }, spec: 'valid' },
  'heart rate: a year-month effectiveDateTime (vs-1)': { profile: 'heartrate', change: (o) => { o.effectiveDateTime = '2018-11'; }, spec: 'invalid', expression: 'Observation.effectiveDateTime', code: 'invariant' },
  // vs-1's expression, ($this as dateTime).toString().length() >= 8, is empty on a Period; its
  // text limits it to dateTime values, and the profile allows effectivePeriod.
  'heart rate: an effectivePeriod (allowed; vs-1 is about dateTime)': { profile: 'heartrate', change: (o) => { delete o.effectiveDateTime; o.effectivePeriod = { start: '2018-11-11T11:00:00Z', end: '2018-11-11T11:05:00Z' }; }, spec: 'valid', medplumWrong: 'medplum counts the empty result of vs-1 on a Period as a failure' },
  'heart rate: an effectiveInstant (not dateTime or Period)': { profile: 'heartrate', change: (o) => { delete o.effectiveDateTime; o.effectiveInstant = '2018-11-11T11:00:00Z'; }, spec: 'invalid', expression: 'Observation.effectiveInstant', code: 'structure' },
  'heart rate: no effective[x]': { profile: 'heartrate', change: (o) => { delete o.effectiveDateTime; }, spec: 'invalid', expression: 'Observation.effective', code: 'required' },
  'heart rate: no subject': { profile: 'heartrate', change: (o) => { delete o.subject; }, spec: 'invalid', expression: 'Observation.subject', code: 'required' },
  // Reference.reference: the target "SHALL be ... one of the types" allowed (R4 references.html).
  'heart rate: a Device as the subject (profile allows Patient only)': { profile: 'heartrate', change: (o) => { o.subject = { reference: 'Device/d1' }; }, spec: 'invalid', expression: 'Observation.subject', code: 'structure', medplumWrong: 'medplum reports a reference of the wrong type as a warning only' },
  'heart rate: a component quantity in mg/dL (component.value[x] bound to UCUM vital-signs units)': { profile: 'heartrate', change: (o) => { o.component = [{ code: { text: 'x' }, valueQuantity: ucum(1, 'mg/dL') }]; }, spec: 'invalid', expression: 'Observation.component[0].valueQuantity', code: 'code-invalid', medplumWrong: NO_BINDINGS },
  'heart rate: a component with neither value nor dataAbsentReason (vs-3)': { profile: 'heartrate', change: (o) => { o.component = [{ code: { text: 'x' } }]; }, spec: 'invalid', expression: 'Observation.component[0]', code: 'invariant' },
  // SpO2
  'SpO2: LOINC 59408-5 instead of 2708-6': { profile: 'oxygensat', change: (o) => setLoinc(o, '59408-5'), spec: 'invalid', expression: 'Observation.code.coding', code: 'required' },
  'SpO2: unit code 1 instead of %': { profile: 'oxygensat', change: (o) => { o.valueQuantity = ucum(0.95, '1'); }, spec: 'invalid', expression: 'Observation.valueQuantity.code', code: 'value', medplumWrong: SLICE_CHILDREN },
  'SpO2: an extra LOINC coding beside 2708-6 (open slicing)': { profile: 'oxygensat', change: (o) => { o.code.coding?.push(loinc('59408-5')); }, spec: 'valid' },
  'SpO2: no vital-signs category': { profile: 'oxygensat', change: (o) => { o.category = o.category?.filter((c) => c.coding?.[0]?.code !== 'vital-signs'); }, spec: 'invalid', expression: 'Observation.category', code: 'required' },
  // blood pressure
  // medplum rejects every blood pressure (see BP_SLICES), so its "invalid" below agrees by accident.
  'BP: component missing systolic': { profile: 'bp', change: (o) => { o.component = o.component?.slice(1); }, spec: 'invalid', expression: 'Observation.component', code: 'required' },
  'BP: systolic twice (SystolicBP is 1..1)': { profile: 'bp', change: (o) => { o.component = [o.component![0], ...o.component!]; }, spec: 'invalid', expression: 'Observation.component', code: 'structure' },
  'BP: diastolic in cm[H2O]': { profile: 'bp', change: (o) => { o.component![1].valueQuantity = ucum(97, 'cm[H2O]'); }, spec: 'invalid', expression: 'Observation.component[1].valueQuantity.code', code: 'value' },
  'BP: systolic quantity without a value': { profile: 'bp', change: (o) => { delete o.component![0].valueQuantity!.value; }, spec: 'invalid', expression: 'Observation.component[0].valueQuantity.value', code: 'required' },
  'BP: an extra heart-rate component, a slice the profile does not name (open slicing)': { profile: 'bp', change: (o) => { o.component!.push({ code: { coding: [loinc('8867-4')] }, valueQuantity: ucum(60, '/min') }); }, spec: 'valid', medplumWrong: BP_SLICES },
  'BP: systolic with a dataAbsentReason instead of a value': { profile: 'bp', change: (o) => { delete o.component![0].valueQuantity; o.component![0].dataAbsentReason = { text: 'error' }; }, spec: 'valid', medplumWrong: BP_SLICES },
  'BP: a valueQuantity on the panel (valueQuantity is 0..0)': { profile: 'bp', change: (o) => { o.valueQuantity = ucum(116, 'mm[Hg]'); }, spec: 'invalid', expression: 'Observation.valueQuantity', code: 'structure' },
  'BP: LOINC 55284-4 instead of 85354-9': { profile: 'bp', change: (o) => setLoinc(o, '55284-4'), spec: 'invalid', expression: 'Observation.code.coding', code: 'required' },
  'BP: only two components, systolic and diastolic': { profile: 'bp', change: (o) => { o.component = o.component?.slice(0, 2); }, spec: 'valid', medplumWrong: BP_SLICES },
  // body weight
  'body weight: in kg': { profile: 'bodyweight', change: (o) => { o.valueQuantity = ucum(84, 'kg'); }, spec: 'valid' },
  'body weight: in [oz_av] (not in ucum-bodyweight)': { profile: 'bodyweight', change: (o) => { o.valueQuantity = ucum(2960, '[oz_av]'); }, spec: 'invalid', expression: 'Observation.valueQuantity.code', code: 'code-invalid', medplumWrong: NO_BINDINGS },
  'body weight: without LOINC 29463-7': { profile: 'bodyweight', change: (o) => { o.code.coding = o.code.coding?.filter((c) => c.code !== '29463-7'); }, spec: 'invalid', expression: 'Observation.code.coding', code: 'required' },
  'body weight: no category': { profile: 'bodyweight', change: (o) => { delete o.category; }, spec: 'invalid', expression: 'Observation.category', code: 'required' },
  // body temperature
  'body temperature: in [degF]': { profile: 'bodytemp', change: (o) => { o.valueQuantity = ucum(97.7, '[degF]'); }, spec: 'valid' },
  'body temperature: in K (not in ucum-bodytemp)': { profile: 'bodytemp', change: (o) => { o.valueQuantity = ucum(309.6, 'K'); }, spec: 'invalid', expression: 'Observation.valueQuantity.code', code: 'code-invalid', medplumWrong: NO_BINDINGS },
  'body temperature: oral temperature LOINC 8331-1 instead of 8310-5': { profile: 'bodytemp', change: (o) => setLoinc(o, '8331-1'), spec: 'invalid', expression: 'Observation.code.coding', code: 'required' },
  'body temperature: no unit system (qty-3 and the profile)': { profile: 'bodytemp', change: (o) => { delete o.valueQuantity!.system; }, spec: 'invalid', expression: 'Observation.valueQuantity.system', code: 'required', medplumWrong: `${SLICE_CHILDREN}; nor does it evaluate Quantity's own qty-3 on a value` },
};

describe('mutations of conforming vital signs', () => {
  test.each(Object.keys(base) as Profile[])('the %s starting point conforms', (profile) => {
    expect(seriumErrors(base[profile](), sdOf(profile))).toEqual([]);
    if (profile !== 'bp') expect(medplumVerdict(base[profile](), sdOf(profile))).toBe('valid');
  });

  test('there are at least 30', () => expect(Object.keys(mutations).length).toBeGreaterThanOrEqual(30));

  test.each(Object.entries(mutations))('%s', (_name, m) => {
    const resource = base[m.profile]() as O;
    m.change(resource);
    const sd = sdOf(m.profile);
    const errors = seriumErrors(resource, sd);
    expect(errors.length ? 'invalid' : 'valid').toBe(m.spec);
    if (m.spec === 'invalid') {
      const issue = errors.find((i) => i.expression?.[0] === m.expression && i.code === m.code);
      expect({ expression: issue?.expression?.[0], code: issue?.code, errors }).toMatchObject({ expression: m.expression, code: m.code });
    }
    const medplum = medplumVerdict(resource, sd);
    if (m.medplumWrong) expect(medplum).not.toBe(m.spec);
    else expect(medplum).toBe(m.spec);
  });
});

// --- the compiled profile on its own --------------------------------------------------------------

describe('checkProfile', () => {
  const heartrate = compileProfile(sdOf('heartrate'), { terminology });

  test('is pure: the same resource gives the same issues, and the resource is not changed', () => {
    const resource = base.heartrate() as O;
    resource.valueQuantity = ucum(48, 'kg');
    const before = structuredClone(resource);
    const first = checkProfile(heartrate, resource);
    expect(checkProfile(heartrate, resource)).toEqual(first);
    expect(resource).toEqual(before);
  });

  test('names the profile in every diagnostics', () => {
    const issues = checkProfile(heartrate, { resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    expect(issues.length).toBeGreaterThan(0);
    for (const i of issues) expect(i.diagnostics).toContain('(profile http://hl7.org/fhir/StructureDefinition/heartrate)');
  });

  test('does not throw on malformed input, which the base checks report', () => {
    const bp = compileProfile(sdOf('bp'), { terminology });
    const malformed = [
      { category: 'vital-signs', code: 5, component: [null, 'x', {}, { code: [] }], effectiveDateTime: 12, subject: 'Patient/1', valueQuantity: [] },
      { category: [{ coding: {} }], code: { coding: [null, 7] }, component: {}, effectivePeriod: 'x', subject: { reference: 42 } },
    ];
    for (const m of malformed) {
      for (const profile of [heartrate, bp]) expect(() => checkProfile(profile, { resourceType: 'Observation', ...m } as unknown as Resource)).not.toThrow();
    }
  });

  test('lists nothing it leaves unchecked in the vital-signs profiles', () => {
    for (const sd of profiles) expect(compileProfile(sd, { terminology }).unsupported).toEqual([]);
  });
});

// --- slicing rules and patterns, on edited copies of the R4 profiles ---------------------------------

describe('slicing rules and patterns the vital-signs profiles do not use', () => {
  /** A copy of an R4 profile with some snapshot elements edited, compiled. */
  function edited(name: string, edits: Record<string, (el: Record<string, unknown>) => void>) {
    const sd = structuredClone(sdOf(name));
    for (const el of sd.snapshot?.element ?? []) edits[el.id as string]?.(el as unknown as Record<string, unknown>);
    return compileProfile(sd, { terminology });
  }
  const errorsAt = (issues: OperationOutcomeIssue[]) => issues.filter(isError).map((i) => `${i.code} ${i.expression?.[0]}`);
  const vitalSigns = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };
  const phd = { coding: [{ system: 'http://hl7.org/fhir/uv/phd/CodeSystem/PhdObservationCategories', code: 'phd' }] };
  const withCategories = (...category: object[]) => ({ ...base.heartrate(), category }) as Observation;
  const slicingRules = (rules: string) => ({ 'Observation.category': (el: Record<string, unknown>) => Object.assign(el.slicing as object, { rules }) });

  test('closed: an item in no slice is an error', () => {
    const closed = edited('heartrate', slicingRules('closed'));
    expect(errorsAt(checkProfile(closed, withCategories(vitalSigns)))).toEqual([]);
    expect(errorsAt(checkProfile(closed, withCategories(vitalSigns, phd)))).toEqual(['structure Observation.category[1]']);
  });

  test('openAtEnd: items in no slice may only follow the sliced ones', () => {
    const atEnd = edited('heartrate', slicingRules('openAtEnd'));
    expect(errorsAt(checkProfile(atEnd, withCategories(vitalSigns, phd)))).toEqual([]);
    expect(errorsAt(checkProfile(atEnd, withCategories(phd, vitalSigns)))).toEqual(['structure Observation.category[0]']);
  });

  test('ordered: items must come in the order of the slices', () => {
    const ordered = edited('bp', { 'Observation.component': (el) => Object.assign(el.slicing as object, { ordered: true }) });
    const bp = base.bp();
    expect(errorsAt(checkProfile(ordered, bp))).toEqual([]);
    expect(errorsAt(checkProfile(ordered, { ...bp, component: [bp.component![1], bp.component![0]] }))).toEqual([
      'structure Observation.component[1]',
    ]);
  });

  test('a pattern discriminator on $this assigns items by patternCodeableConcept', () => {
    const byPattern = edited('heartrate', {
      'Observation.category': (el) => Object.assign(el.slicing as object, { discriminator: [{ type: 'pattern', path: '$this' }], rules: 'closed' }),
      'Observation.category:VSCat': (el) => Object.assign(el, { patternCodeableConcept: vitalSigns }),
    });
    expect(errorsAt(checkProfile(byPattern, withCategories({ ...vitalSigns, text: 'Vital signs' })))).toEqual([]);
    expect(errorsAt(checkProfile(byPattern, withCategories(phd)))).toEqual(['structure Observation.category[0]', 'required Observation.category']);
  });

  test('pattern[x] asks for every property of the pattern; fixed[x] for exactly the value', () => {
    const loincHr = { coding: [loinc('8867-4')] };
    const patterned = edited('vitalsigns', { 'Observation.code': (el) => Object.assign(el, { patternCodeableConcept: loincHr }) });
    const fixed = edited('vitalsigns', { 'Observation.code': (el) => Object.assign(el, { fixedCodeableConcept: loincHr }) });
    const hr = base.heartrate(); // MDC and LOINC codings, and no text
    expect(errorsAt(checkProfile(patterned, hr))).toEqual([]);
    expect(errorsAt(checkProfile(patterned, { ...hr, code: { coding: [loinc('8310-5')] } }))).toEqual(['value Observation.code']);
    expect(errorsAt(checkProfile(fixed, { ...hr, code: loincHr }))).toEqual([]);
    expect(errorsAt(checkProfile(fixed, hr))).toEqual(['value Observation.code']);
  });
});

test('an extension slice is matched by the URL of its type profile', () => {
  const url = 'http://hl7.org/fhir/StructureDefinition/observation-gatewayDevice';
  const sd = structuredClone(sdOf('heartrate'));
  const elements = sd.snapshot!.element;
  const at = elements.findIndex((e) => e.id === 'Observation.extension');
  elements[at] = { ...elements[at], slicing: { discriminator: [{ type: 'value', path: 'url' }], rules: 'open' } };
  elements.splice(at + 1, 0, { id: 'Observation.extension:gateway', path: 'Observation.extension', sliceName: 'gateway', min: 1, max: '1', type: [{ code: 'Extension', profile: [url] }] });
  const compiled = compileProfile(sd, { terminology });
  expect(compiled.unsupported).toEqual([]);
  const hr = base.heartrate(); // its first extension is the gateway device
  expect(checkProfile(compiled, hr).filter(isError)).toEqual([]);
  const issues = checkProfile(compiled, { ...hr, extension: hr.extension?.filter((e) => e.url !== url) });
  expect(issues.map((i) => `${i.code} ${i.expression?.[0]}`)).toEqual(['required Observation.extension']);
});
