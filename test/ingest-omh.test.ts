import { join } from 'node:path';
import type { Extension, Observation, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { loadConformance } from '../src/fhir/conformance.js';
import { Validator } from '../src/fhir/validator.js';
import { decodeOmh } from '../src/ingest/omh/decode.js';
import { checkBody, omhSchemasDir, resolveVersion, schemaVersions } from '../src/ingest/omh/schemas.js';
import { projectRoot } from '../src/paths.js';
import { metrics, type Reading } from '../src/ingest/reading.js';
import { libraryCases } from './omh-cases.js';
import { rejection } from './rejection.js';

// The Open mHealth decoder against the schema library's own test bodies (every shouldPass body
// maps to an Observation the server's Validator accepts, every shouldFail body is rejected),
// then hand-made payloads whose expected values were worked out by hand.

const receivedAt = new Date('2026-11-21T08:00:00.000Z');
const decode = (segment: string, payload: unknown) => decodeOmh(segment, payload, { receivedAt });
const one = (segment: string, payload: unknown): Reading => {
  const readings = decode(segment, payload);
  expect(readings).toHaveLength(1);
  return readings[0];
};

let validator: Validator;
beforeAll(() => {
  const { local, terminology } = loadConformance();
  validator = new Validator(terminology, local.profiles);
});

const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal';
/** The errors the server would raise on storing the Observation, once the pipeline adds subject and device. */
function storeErrors(observation: Observation): string[] {
  const stored = { ...observation, subject: { reference: 'Patient/p1' }, device: { reference: 'Device/d1' } };
  return validator.issues(stored).filter(isError).map((i) => `${i.expression?.join(',')}: ${i.details?.text ?? i.diagnostics}`);
}

// --- the schema library's test bodies -----------------------------------------------------------

const passing = libraryCases('shouldPass');
const failing = libraryCases('shouldFail');

/** The profile each metric's Observations claim (none for glucose and steps: not R4 vital signs). */
const profileOf: Record<string, string | undefined> = {
  'heart-rate': 'heartrate',
  'oxygen-saturation': 'oxygensat',
  'blood-pressure': 'bp',
  'blood-glucose': undefined,
  'body-weight': 'bodyweight',
  'body-height': 'bodyheight',
  'body-temperature': 'bodytemp',
  'respiratory-rate': 'resprate',
  'step-count': undefined,
  'body-mass-index': 'bmi',
};

describe('Open mHealth test bodies', () => {
  test('all 104 shouldPass and 102 shouldFail bodies of the ten schemas are found', () => {
    expect(passing).toHaveLength(104);
    expect(failing).toHaveLength(102);
  });

  test.each(passing)('%s decodes to a storable Observation', (_name, segment, body) => {
    const reading = one(segment, body);
    const metric = segment.split('@')[0];
    expect(reading.metric).toBe(metric);
    const profile = profileOf[metric];
    expect(reading.observation.meta?.profile).toEqual(profile ? [`http://hl7.org/fhir/StructureDefinition/${profile}`] : undefined);
    expect(storeErrors(reading.observation)).toEqual([]);
    expect(reading.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('an interval that ends before it starts keeps its start, and the end as sent in the context', () => {
    const body = {
      body_temperature: { value: 96.5, unit: 'F' },
      effective_time_frame: { time_interval: { start_date_time: '2023-02-05T06:00:00-08:00', end_date_time: '2020-03-06T06:00:00-08:00' } },
    };
    const o = one('body-temperature@4.0', body).observation as Observation & { effectivePeriod: { _start?: unknown } };
    expect(o.effectivePeriod).toEqual({ start: '2023-02-05T14:00:00.000Z', _start: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/tz-offset', valueString: '-08:00' }] } });
    expect(o.extension).toContainEqual({ url: 'https://serium.dev/fhir/StructureDefinition/effective-time-source', valueCode: 'end-before-start' });
    const context = (o.extension ?? []).filter((e: Extension) => e.url === 'https://serium.dev/fhir/StructureDefinition/omh-context');
    expect(context.map((e: Extension) => e.extension?.map((x) => x.valueCode ?? x.valueString))).toContainEqual(['time_interval.end_date_time', '2020-03-06T06:00:00-08:00']);
    expect(storeErrors(o)).toEqual([]);
  });

  // Every shouldFail body breaks its JSON schema (a wrong unit or enum value, a missing required
  // property, a malformed time frame), so every one is a `schema` rejection; none gets as far as
  // the plausibility checks.
  test.each(failing)('%s is rejected as schema', (_name, segment, body) => {
    expect(rejection(() => decode(segment, body)).reason).toBe('schema');
  });
});

describe('vendored schemas', () => {
  test('live in the source tree, not in the shared test data', () => {
    expect(omhSchemasDir).toBe(join(projectRoot(), 'src', 'ingest', 'omh', 'schemas'));
  });

  test.each(metrics.map((m) => [m]))('every version of %s compiles with all its references', (metric) => {
    expect(schemaVersions(metric).length).toBeGreaterThan(0);
    for (const version of schemaVersions(metric)) expect(checkBody(metric, version, {}).length).toBeGreaterThan(0);
  });

  test('versions, newest and aliases', () => {
    expect(schemaVersions('heart-rate')).toEqual(['1.0', '1.1', '2.0']);
    expect(schemaVersions('blood-pressure')).toEqual(['1.0', '2.0', '3.0', '3.1', '4.0']);
    expect(resolveVersion('heart-rate')).toBe('2.0');
    expect(resolveVersion('heart-rate', '1.x')).toBe('1.1');
    expect(resolveVersion('heart-rate', '9.0')).toBeUndefined();
  });
});

// --- hand-made payloads ---------------------------------------------------------------------------

const at = (dateTime: string) => ({ date_time: dateTime });
const hr = (value: number, extra: object = {}) => ({ heart_rate: { value, unit: 'beats/min' }, effective_time_frame: at('2026-11-20T08:00:00Z'), ...extra });
const extensionsOf = (o: { extension?: Extension[] }, url: string) => (o.extension ?? []).filter((e) => e.url === url);
const contextOf = (o: Observation) =>
  extensionsOf(o, 'https://serium.dev/fhir/StructureDefinition/omh-context').map((e) => [e.extension?.[0].valueCode, e.extension?.[1].valueString]);
const tzOf = (element: unknown) => extensionsOf((element ?? {}) as { extension?: Extension[] }, 'http://hl7.org/fhir/StructureDefinition/tz-offset').map((e) => e.valueString);
const translation = (o: Observation) => extensionsOf(o.valueQuantity ?? {}, 'http://hl7.org/fhir/StructureDefinition/iso21090-PQ-translation')[0]?.valueQuantity;
const ucum = 'http://unitsofmeasure.org';
/** The _effectiveDateTime element (primitive extensions are not in the Observation type). */
const effectiveDateTimeElement = (o: Observation) => (o as unknown as Record<string, unknown>)._effectiveDateTime;

describe('unit conversion', () => {
  test.each([
    ['lb to kg', 'body-weight@3.0', { body_weight: { value: 115.5, unit: 'lb' } }, 52.39, 'kg', { value: 115.5, code: '[lb_av]' }],
    ['g to kg', 'body-weight@3.0', { body_weight: { value: 72500, unit: 'g' } }, 72.5, 'kg', { value: 72500, code: 'g' }],
    ['kg kept', 'body-weight@3.0', { body_weight: { value: 80.25, unit: 'kg' } }, 80.25, 'kg', undefined],
    ['mmol/L to mg/dL', 'blood-glucose@4.0', { blood_glucose: { value: 5.5, unit: 'mmol/L' } }, 99.1, 'mg/dL', { value: 5.5, code: 'mmol/L' }],
    ['mg/dL kept', 'blood-glucose@4.0', { blood_glucose: { value: 95, unit: 'mg/dL' } }, 95, 'mg/dL', undefined],
    ['in to cm', 'body-height@2.0', { body_height: { value: 70, unit: 'in' } }, 177.8, 'cm', { value: 70, code: '[in_i]' }],
    ['m to cm', 'body-height@2.0', { body_height: { value: 1.8, unit: 'm' } }, 180, 'cm', { value: 1.8, code: 'm' }],
    ['K to Cel', 'body-temperature@4.0', { body_temperature: { value: 310.15, unit: 'K' } }, 37, 'Cel', { value: 310.15, code: 'K' }],
    ['C as Cel', 'body-temperature@4.0', { body_temperature: { value: 36.6, unit: 'C' } }, 36.6, 'Cel', undefined],
    ['degF kept', 'body-temperature@4.0', { body_temperature: { value: 98.6, unit: 'F' } }, 98.6, '[degF]', undefined],
    ['beats/min', 'heart-rate@2.0', { heart_rate: { value: 61, unit: 'beats/min' } }, 61, '/min', undefined],
    ['breaths/min', 'respiratory-rate@2.0', { respiratory_rate: { value: 14, unit: 'breaths/min' } }, 14, '/min', undefined],
    ['kg/m^2', 'body-mass-index@3.0', { body_mass_index: { value: 24.2, unit: 'kg/m^2' } }, 24.2, 'kg/m2', undefined],
    ['kg/m2', 'body-mass-index@1.0', { body_mass_index: { value: 24.2, unit: 'kg/m2' } }, 24.2, 'kg/m2', undefined],
    ['steps', 'step-count@3.0', { step_count: { value: 900, unit: 'steps' }, effective_time_frame: { time_interval: { start_date_time: '2026-11-20T08:00:00Z', end_date_time: '2026-11-20T09:00:00Z' } } }, 900, '{steps}', undefined],
    ['bare step count', 'step-count@2.0', { step_count: 900, effective_time_frame: { time_interval: { start_date_time: '2026-11-20T08:00:00Z', end_date_time: '2026-11-20T09:00:00Z' } } }, 900, '{steps}', undefined],
  ])('%s', (_name, segment, body, value, code, original) => {
    const { observation } = one(segment, { effective_time_frame: at('2026-11-20T08:00:00Z'), ...body });
    expect(observation.valueQuantity).toMatchObject({ value, system: ucum, code });
    if (original) expect(translation(observation)).toMatchObject({ ...original, system: ucum });
    else expect(translation(observation)).toBeUndefined();
    expect(storeErrors(observation)).toEqual([]);
  });

  test('blood pressure components in mm[Hg]', () => {
    const { observation } = one('blood-pressure@4.0', {
      systolic_blood_pressure: { value: 128, unit: 'mmHg' },
      diastolic_blood_pressure: { value: 82, unit: 'mmHg' },
      effective_time_frame: at('2026-11-20T08:00:00Z'),
    });
    expect(observation.valueQuantity).toBeUndefined();
    expect(observation.code.coding?.map((c) => c.code)).toEqual(['85354-9', '150020']);
    expect(observation.component?.map((c) => [c.code.coding?.[0].code, c.valueQuantity?.value, c.valueQuantity?.code])).toEqual([
      ['8480-6', 128, 'mm[Hg]'],
      ['8462-4', 82, 'mm[Hg]'],
    ]);
  });
});

describe('codes and category', () => {
  test.each([
    ['heart-rate@2.0', hr(60), 'vital-signs', ['http://loinc.org|8867-4', 'urn:iso:std:iso:11073:10101|147842']],
    [
      'oxygen-saturation@2.0',
      { oxygen_saturation: { value: 97, unit: '%' }, effective_time_frame: at('2026-11-20T08:00:00Z') },
      'vital-signs',
      ['http://loinc.org|2708-6', 'http://loinc.org|59408-5', 'urn:iso:std:iso:11073:10101|150456'],
    ],
    ['respiratory-rate@2.0', { respiratory_rate: { value: 14, unit: 'breaths/min' }, effective_time_frame: at('2026-11-20T08:00:00Z') }, 'vital-signs', ['http://loinc.org|9279-1', 'urn:iso:std:iso:11073:10101|151562']],
    ['body-mass-index@3.0', { body_mass_index: { value: 22, unit: 'kg/m^2' }, effective_time_frame: at('2026-11-20T08:00:00Z') }, 'vital-signs', ['http://loinc.org|39156-5', 'urn:iso:std:iso:11073:10101|188752']],
  ])('%s', (segment, body, category, codes) => {
    const { observation } = one(segment, body);
    expect(observation.status).toBe('final');
    expect(observation.category?.[0].coding?.[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category });
    expect(observation.code.coding?.map((c) => `${c.system}|${c.code}`)).toEqual(codes);
  });

  test.each([
    ['before breakfast', '88365-2'],
    ['before meal', '88365-2'],
    ['after dinner', '87422-2'],
    ['2 hours postprandial', '87422-2'],
    ['fasting', '41653-7'],
    ['with meal', '41653-7'],
    [undefined, '41653-7'],
  ])('glucose %s is LOINC %s', (meal, loinc) => {
    const body = { blood_glucose: { value: 110, unit: 'mg/dL' }, effective_time_frame: at('2026-11-20T08:00:00Z'), ...(meal ? { temporal_relationship_to_meal: meal } : {}) };
    const reading = one('blood-glucose@4.0', body);
    expect(reading.observation.code.coding?.map((c) => c.code)).toEqual([loinc, '160184']);
    expect(reading.supplemental).toEqual(meal ? [meal.replace(/ /g, '-')] : []);
    if (meal) expect(contextOf(reading.observation)).toContainEqual(['temporal_relationship_to_meal', meal]);
  });

  const interval = (start: string, end: string) => ({ time_interval: { start_date_time: start, end_date_time: end } });
  test.each([
    ['a 24 h interval', '41950-7', { step_count: { value: 8000, unit: 'steps' }, effective_time_frame: interval('2026-11-20T00:00:00+01:00', '2026-11-21T00:00:00+01:00') }],
    ['a one-hour interval', '55423-8', { step_count: { value: 800, unit: 'steps' }, effective_time_frame: interval('2026-11-20T08:00:00Z', '2026-11-20T09:00:00Z') }],
    [
      'an average per day over a month',
      '41950-7',
      { step_count: { value: 7500, unit: 'steps' }, effective_time_frame: interval('2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z'), descriptive_statistic: 'average', descriptive_statistic_denominator: 'd' },
    ],
  ])('steps over %s are LOINC %s', (_name, loinc, body) => {
    const { observation } = one('step-count@3.0', body);
    expect(observation.code.coding?.map((c) => c.code)).toEqual([loinc]);
    expect(observation.category?.[0].coding?.[0].code).toBe('activity');
    expect(observation.effectivePeriod).toBeDefined();
    expect(observation.valueQuantity).toMatchObject({ unit: 'steps', code: '{steps}' });
  });
});

describe('time', () => {
  test('a point keeps its offset and is stored in UTC', () => {
    const reading = one('heart-rate@2.0', { heart_rate: { value: 67.5, unit: 'beats/min' }, effective_time_frame: at('2020-02-05T07:25:00-08:00') });
    expect(reading.observation.effectiveDateTime).toBe('2020-02-05T15:25:00.000Z');
    expect(tzOf(effectiveDateTimeElement(reading.observation))).toEqual(['-08:00']);
    expect(reading.start).toBe('2020-02-05T15:25:00.000Z');
    expect(reading.durationMs).toBe(0);
  });

  test.each([
    ['start and end', { start_date_time: '2020-02-05T06:00:00+01:00', end_date_time: '2020-02-06T06:00:00+01:00' }, '2020-02-05T05:00:00.000Z', '2020-02-06T05:00:00.000Z', ['+01:00', '+01:00'], 86400000],
    ['start and duration', { start_date_time: '2021-03-01T10:00:00+05:30', duration: { value: 90, unit: 'min' } }, '2021-03-01T04:30:00.000Z', '2021-03-01T06:00:00.000Z', ['+05:30', '+05:30'], 5400000],
    ['end and duration, offset unknown', { end_date_time: '2021-03-01T23:30:00-00:00', duration: { value: 2, unit: 'h' } }, '2021-03-01T21:30:00.000Z', '2021-03-01T23:30:00.000Z', ['-00:00', '-00:00'], 7200000],
    ['across a change to summer time', { start_date_time: '2020-03-08T00:00:00-08:00', end_date_time: '2020-03-09T00:00:00-07:00' }, '2020-03-08T08:00:00.000Z', '2020-03-09T07:00:00.000Z', ['-08:00', '-07:00'], 82800000],
    ['Z and fractions of a second', { start_date_time: '2020-01-01T00:00:00.123456Z', end_date_time: '2020-01-01T00:00:01.5Z' }, '2020-01-01T00:00:00.123Z', '2020-01-01T00:00:01.500Z', ['+00:00', '+00:00'], 1377],
  ])('an interval from %s', (_name, timeInterval, start, end, offsets, durationMs) => {
    const reading = one('heart-rate@2.0', { heart_rate: { value: 70, unit: 'beats/min' }, effective_time_frame: { time_interval: timeInterval }, descriptive_statistic: 'average' });
    const period = reading.observation.effectivePeriod as Record<string, unknown>;
    expect([period.start, period.end]).toEqual([start, end]);
    expect([...tzOf(period._start), ...tzOf(period._end)]).toEqual(offsets);
    expect(reading.start).toBe(start);
    expect(reading.durationMs).toBe(durationMs);
    expect(storeErrors(reading.observation)).toEqual([]);
  });

  test('a date and part of the day is a day-precise dateTime', () => {
    const reading = one('blood-pressure@1.0', {
      systolic_blood_pressure: { value: 120, unit: 'mmHg' },
      diastolic_blood_pressure: { value: 80, unit: 'mmHg' },
      effective_time_frame: { time_interval: { date: '2013-02-05', part_of_day: 'evening' } },
    });
    expect(reading.observation.effectiveDateTime).toBe('2013-02-05');
    expect(contextOf(reading.observation)).toContainEqual(['part_of_day', 'evening']);
    expect(reading.supplemental).toEqual(['evening']);
    expect(reading.start).toBe('2013-02-05T00:00:00.000Z');
  });

  test('a body without a time frame takes the time of receipt, and says so', () => {
    const reading = one('heart-rate@1.0', { heart_rate: { value: 60, unit: 'beats/min' } });
    expect(reading.observation.effectiveDateTime).toBe('2026-11-21T08:00:00.000Z');
    expect(extensionsOf(reading.observation, 'https://serium.dev/fhir/StructureDefinition/effective-time-source')[0]?.valueCode).toBe('received');
  });

  test('a date-time without an offset is rejected', () => {
    expect(rejection(() => one('heart-rate@2.0', hr(60, { effective_time_frame: at('2020-02-05T07:25:00') }))).reason).toBe('schema');
  });
});

describe('data points', () => {
  const header = (schemaId: object, extra: object = {}) => ({
    id: 'dp-123',
    creation_date_time: '2026-11-20T08:00:05+01:00',
    schema_id: { namespace: 'omh', name: 'heart-rate', version: '2.0', ...schemaId },
    acquisition_provenance: { source_name: 'Acme W2', modality: 'sensed' },
    ...extra,
  });

  test('a data point: the header decides the schema, its id is the source id, its fields are kept', () => {
    const reading = one('heart-rate', { header: header({}), body: hr(64) });
    expect(reading.sourceId).toBe('dp-123');
    expect(reading.observation.valueQuantity?.value).toBe(64);
    expect(contextOf(reading.observation)).toEqual([
      ['header.creation_date_time', '2026-11-20T08:00:05+01:00'],
      ['header.acquisition_provenance.source_name', 'Acme W2'],
      ['header.acquisition_provenance.modality', 'sensed'],
    ]);
    expect(storeErrors(reading.observation)).toEqual([]);
  });

  test('a 1.0 body without a time frame takes the header creation time', () => {
    const reading = one('heart-rate', { header: header({ version: '1.0' }), body: { heart_rate: { value: 64, unit: 'beats/min' } } });
    expect(reading.observation.effectiveDateTime).toBe('2026-11-20T07:00:05.000Z');
    expect(tzOf(effectiveDateTimeElement(reading.observation))).toEqual(['+01:00']);
    expect(extensionsOf(reading.observation, 'https://serium.dev/fhir/StructureDefinition/effective-time-source')[0]?.valueCode).toBe('header.creation_date_time');
  });

  test.each([
    ['names another metric', 'heart-rate', { header: header({ name: 'blood-pressure' }), body: hr(64) }, 'header.schema_id.name "blood-pressure"'],
    ['names another version than the topic', 'heart-rate@1.1', { header: header({}), body: hr(64) }, 'header.schema_id.version "2.0"'],
    ['names another namespace', 'heart-rate', { header: header({ namespace: 'ieee' }), body: hr(64) }, 'namespace is "ieee"'],
    ['names an unknown version', 'heart-rate', { header: header({ version: '7.0' }), body: hr(64) }, 'version "7.0"'],
    ['has no schema_id', 'heart-rate', { header: { id: 'x', creation_date_time: '2026-11-20T08:00:05Z' }, body: hr(64) }, "schema_id"],
    ['has a body that fails the header schema', 'heart-rate', { header: header({ version: '2.0' }), body: { heart_rate: { value: 64, unit: 'beats/min' } } }, 'effective_time_frame'],
  ])('a header that %s is rejected as schema', (_name, segment, payload, message) => {
    const r = rejection(() => decode(segment, payload));
    expect(r.reason).toBe('schema');
    expect(r.message).toContain(message);
  });

  test('an array mixing data points and bodies', () => {
    const readings = decode('heart-rate', [{ header: header({}), body: hr(64) }, hr(66), hr(68)]);
    expect(readings.map((r) => [r.observation.valueQuantity?.value, r.sourceId])).toEqual([
      [64, 'dp-123'],
      [66, undefined],
      [68, undefined],
    ]);
  });

  test.each([
    ['a body that fails its schema', [hr(64), { heart_rate: { value: 66, unit: 'bpm' }, effective_time_frame: at('2026-11-20T08:00:00Z') }, hr(68)], 'schema', 'element [1]:'],
    ['an implausible value', [hr(64), hr(66), hr(250)], 'implausible', 'element [2]:'],
    ['a string', [hr(64), 'hello'], 'schema', 'element [1]:'],
  ])('an array with %s is rejected whole, naming the element', (_name, payload, reason, message) => {
    const r = rejection(() => decode('heart-rate', payload));
    expect(r.reason).toBe(reason);
    expect(r.message.startsWith(message)).toBe(true);
  });

  test('an empty array is rejected', () => {
    expect(rejection(() => decode('heart-rate', [])).reason).toBe('schema');
  });
});

describe('topic metric segment', () => {
  test.each([['sleep-duration'], ['ambient-temperature@1.0'], ['header'], ['Heart-Rate'], [''], ['heart-rate/extra']])('%s is an unknown metric', (segment) => {
    expect(rejection(() => decode(segment, hr(60))).reason).toBe('unknown-metric');
  });

  test('an unknown version of a known metric is a schema rejection', () => {
    const r = rejection(() => decode('heart-rate@9.0', hr(60)));
    expect(r.reason).toBe('schema');
    expect(r.message).toContain('1.0, 1.1, 2.0');
  });

  test('without a version the newest applies; 1.x is the newest 1', () => {
    const timeless = { heart_rate: { value: 60, unit: 'beats/min' } };
    expect(rejection(() => decode('heart-rate', timeless)).message).toContain('heart-rate 2.0 body');
    expect(decode('heart-rate@1.x', timeless)).toHaveLength(1);
    expect(decode('heart-rate@1.0', timeless)).toHaveLength(1);
  });
});

describe('plausibility', () => {
  const tf = { effective_time_frame: at('2026-11-20T08:00:00Z') };
  const uv = (field: string, unit: string) => (value: number) => ({ [field]: { value, unit }, ...tf });
  const bp = (systolic: number, diastolic: number) => ({ systolic_blood_pressure: { value: systolic, unit: 'mmHg' }, diastolic_blood_pressure: { value: diastolic, unit: 'mmHg' }, ...tf });
  const steps = (value: number, start: string, end: string) => ({ step_count: { value, unit: 'steps' }, effective_time_frame: { time_interval: { start_date_time: start, end_date_time: end } } });
  const cases: [string, string, unknown, boolean][] = [
    ...([[30, true], [29.9, false], [220, true], [220.1, false]] as const).map(([v, ok]) => [`heart rate ${v}`, 'heart-rate@2.0', uv('heart_rate', 'beats/min')(v), ok] as [string, string, unknown, boolean]),
    ...([[50, true], [49.9, false], [100, true], [100.1, false]] as const).map(([v, ok]) => [`SpO2 ${v}`, 'oxygen-saturation@2.0', uv('oxygen_saturation', '%')(v), ok] as [string, string, unknown, boolean]),
    ['systolic 50', 'blood-pressure@4.0', bp(50, 30), true],
    ['systolic 49.9', 'blood-pressure@4.0', bp(49.9, 30), false],
    ['systolic 300', 'blood-pressure@4.0', bp(300, 90), true],
    ['systolic 300.1', 'blood-pressure@4.0', bp(300.1, 90), false],
    ['diastolic 20', 'blood-pressure@4.0', bp(120, 20), true],
    ['diastolic 19.9', 'blood-pressure@4.0', bp(120, 19.9), false],
    ['diastolic 200', 'blood-pressure@4.0', bp(260, 200), true],
    ['diastolic 200.1', 'blood-pressure@4.0', bp(260, 200.1), false],
    ['systolic equal to diastolic', 'blood-pressure@4.0', bp(120, 120), false],
    ['systolic below diastolic', 'blood-pressure@4.0', bp(80, 120), false],
    ...([[10, true], [9.9, false], [1000, true], [1000.1, false]] as const).map(([v, ok]) => [`glucose ${v} mg/dL`, 'blood-glucose@4.0', uv('blood_glucose', 'mg/dL')(v), ok] as [string, string, unknown, boolean]),
    // 55.5 mmol/L × 18.016 = 999.888 → 999.9; 55.51 → 1000.068 → 1000.1.
    ['glucose 55.5 mmol/L', 'blood-glucose@4.0', uv('blood_glucose', 'mmol/L')(55.5), true],
    ['glucose 55.51 mmol/L', 'blood-glucose@4.0', uv('blood_glucose', 'mmol/L')(55.51), false],
    ...([[2, true], [1.99, false], [500, true], [500.1, false]] as const).map(([v, ok]) => [`weight ${v} kg`, 'body-weight@3.0', uv('body_weight', 'kg')(v), ok] as [string, string, unknown, boolean]),
    // 1102 lb = 499.859 kg; 1103 lb = 500.312 kg.
    ['weight 1102 lb', 'body-weight@3.0', uv('body_weight', 'lb')(1102), true],
    ['weight 1103 lb', 'body-weight@3.0', uv('body_weight', 'lb')(1103), false],
    ...([[30, true], [29.9, false], [272, true], [272.1, false]] as const).map(([v, ok]) => [`height ${v} cm`, 'body-height@2.0', uv('body_height', 'cm')(v), ok] as [string, string, unknown, boolean]),
    ...([[25, true], [24.99, false], [45, true], [45.01, false]] as const).map(([v, ok]) => [`temperature ${v} C`, 'body-temperature@4.0', uv('body_temperature', 'C')(v), ok] as [string, string, unknown, boolean]),
    // 77 F = 25 C, 113 F = 45 C.
    ...([[77, true], [76.9, false], [113, true], [113.1, false]] as const).map(([v, ok]) => [`temperature ${v} F`, 'body-temperature@4.0', uv('body_temperature', 'F')(v), ok] as [string, string, unknown, boolean]),
    ['temperature 318.15 K', 'body-temperature@4.0', uv('body_temperature', 'K')(318.15), true],
    ['temperature 318.2 K', 'body-temperature@4.0', uv('body_temperature', 'K')(318.2), false],
    ...([[3, true], [2.9, false], [70, true], [70.1, false]] as const).map(([v, ok]) => [`respiratory rate ${v}`, 'respiratory-rate@2.0', uv('respiratory_rate', 'breaths/min')(v), ok] as [string, string, unknown, boolean]),
    ...([[8, true], [7.9, false], [100, true], [100.1, false]] as const).map(([v, ok]) => [`BMI ${v}`, 'body-mass-index@3.0', uv('body_mass_index', 'kg/m^2')(v), ok] as [string, string, unknown, boolean]),
    // One hour: at most 300 × 60 = 18000 steps.
    ['18000 steps in an hour', 'step-count@3.0', steps(18000, '2026-11-20T08:00:00Z', '2026-11-20T09:00:00Z'), true],
    ['18001 steps in an hour', 'step-count@3.0', steps(18001, '2026-11-20T08:00:00Z', '2026-11-20T09:00:00Z'), false],
    ['0 steps', 'step-count@3.0', steps(0, '2026-11-20T08:00:00Z', '2026-11-20T09:00:00Z'), true],
    ['-1 steps', 'step-count@3.0', steps(-1, '2026-11-20T08:00:00Z', '2026-11-20T09:00:00Z'), false],
    // Without an interval, one day: 300 × 1440 = 432000.
    ['432000 steps at a point in time', 'step-count@1.0', { step_count: 432000 }, true],
    ['432001 steps at a point in time', 'step-count@1.0', { step_count: 432001 }, false],
    // A spread is no level: only its sign is checked.
    ['heart rate standard deviation 4', 'heart-rate@2.0', { ...uv('heart_rate', 'beats/min')(4), descriptive_statistic: 'standard deviation' }, true],
    ['heart rate standard deviation -1', 'heart-rate@2.0', { ...uv('heart_rate', 'beats/min')(-1), descriptive_statistic: 'standard deviation' }, false],
    ['heart rate maximum 221', 'heart-rate@2.0', { ...uv('heart_rate', 'beats/min')(221), descriptive_statistic: 'maximum' }, false],
  ];

  test.each(cases)('%s', (_name, segment, body, plausible) => {
    if (plausible) {
      expect(decode(segment, body)).toHaveLength(1);
      return;
    }
    const r = rejection(() => decode(segment, body));
    expect(r.reason).toBe('implausible');
  });

  test('the message names the field, the value and the range', () => {
    expect(rejection(() => decode('heart-rate@2.0', hr(250))).message).toBe('heart_rate 250 /min is outside the plausible range 30–220 /min');
  });
});

describe('context', () => {
  test.each([
    ['average', 'average', 'Average'],
    ['count', 'count', 'Count'],
    ['maximum', 'maximum', 'Maximum'],
    ['median', 'median', 'Median'],
    ['minimum', 'minimum', 'Minimum'],
    ['standard deviation', 'std-dev', 'Standard Deviation'],
    ['sum', 'sum', 'Sum'],
    ['variance', 'variance', 'Variance'],
    ['20th percentile', '20-percent', '20th Percentile'],
    ['80th percentile', '80-percent', '80th Percentile'],
    ['lower quartile', '4-lower', 'Lower Quartile'],
    ['upper quartile', '4-upper', 'Upper Quartile'],
    ['quartile deviation', '4-dev', 'Quartile Deviation'],
    ['1st quintile', '5-1', '1st Quintile'],
    ['2nd quintile', '5-2', '2nd Quintile'],
    ['3rd quintile', '5-3', '3rd Quintile'],
    ['4th quintile', '5-4', '4th Quintile'],
  ])('descriptive statistic %s is method %s', (statistic, code, display) => {
    const reading = one('heart-rate@2.0', {
      heart_rate: { value: 70, unit: 'beats/min' },
      effective_time_frame: { time_interval: { start_date_time: '2026-11-20T08:00:00Z', end_date_time: '2026-11-20T09:00:00Z' } },
      descriptive_statistic: statistic,
    });
    expect(reading.observation.method?.coding).toEqual([{ system: 'http://terminology.hl7.org/CodeSystem/observation-statistics', code, display }]);
    expect(reading.supplemental).toEqual([code]);
    expect(storeErrors(reading.observation)).toEqual([]);
  });

  test('notes, body site, posture and the other properties are kept', () => {
    const reading = one('blood-pressure@3.1', {
      systolic_blood_pressure: { value: 125, unit: 'mmHg' },
      diastolic_blood_pressure: { value: 60, unit: 'mmHg' },
      body_posture: 'sitting',
      measurement_location: 'left wrist',
      temporal_relationship_to_physical_activity: 'at rest',
      effective_time_frame: at('2020-02-05T07:25:00-08:00'),
    });
    const o = reading.observation;
    expect(o.bodySite).toEqual({ text: 'left wrist' });
    expect(extensionsOf(o, 'http://hl7.org/fhir/StructureDefinition/observation-bodyPosition')[0]?.valueCodeableConcept).toEqual({
      coding: [{ system: 'http://snomed.info/sct', code: '33586001' }],
      text: 'sitting',
    });
    expect(contextOf(o)).toEqual([['temporal_relationship_to_physical_activity', 'at rest']]);
    expect(storeErrors(o)).toEqual([]);

    const glucose = one('blood-glucose@1.0', { blood_glucose: { value: 95, unit: 'mg/dL' }, user_notes: 'after a walk', blood_specimen_type: 'plasma', temporal_relationship_to_sleep: 'on waking', ...{ effective_time_frame: at('2026-11-20T08:00:00Z') } });
    expect(glucose.observation.note).toEqual([{ text: 'after a walk' }]);
    expect(contextOf(glucose.observation)).toEqual([
      ['blood_specimen_type', 'plasma'],
      ['temporal_relationship_to_sleep', 'on waking'],
    ]);

    const spo2 = one('oxygen-saturation@2.0', {
      oxygen_saturation: { value: 93, unit: '%' },
      effective_time_frame: at('2026-11-20T08:00:00Z'),
      supplemental_oxygen_flow_rate: { value: 2.5, unit: 'L/min' },
      oxygen_therapy_mode_of_administration: 'nasal cannula',
    });
    expect(contextOf(spo2.observation)).toEqual([
      ['supplemental_oxygen_flow_rate', '2.5 L/min'],
      ['oxygen_therapy_mode_of_administration', 'nasal cannula'],
    ]);
  });
});
