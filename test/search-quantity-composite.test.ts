import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { call as callServer, expectOutcome, put as putResource, startTestServer, type TestServer } from './harness.js';

// UCUM-aware quantity search and composite parameters over HTTP (R4 search.html, quantity and
// composite). Canonical values are worked out by hand from the UCUM definitions:
// 1 [lb_av] = 453.59237 g, 1 mm[Hg] = 133.322 Pa, 1 dL = 0.1 L, Cel = K - 273.15,
// [degF] = 5/9 K offset so that 98.6 [degF] = 37 Cel = 310.15 K. mol is a count, so mmol/L has
// the dimension of 1/L and never meets mg/dL (a mass per volume).

let srv: TestServer;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callServer(srv, method, path, body, headers);
const put = (r: { resourceType: string; id: string } & Record<string, unknown>) => putResource(srv, r);

const ucum = 'http://unitsofmeasure.org';
const loinc = 'http://loinc.org';
const sct = 'http://snomed.info/sct';
const q = encodeURIComponent;

const coded = (code: string, system = loinc) => ({ coding: [{ system, code }] });
const qty = (value: number, code: string, system: string | undefined = ucum) => ({ value, unit: code, ...(system ? { system } : {}), code });
const obs = (id: string, code: string, value: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: coded(code),
  ...value,
  ...extra,
});
const bp = (id: string, systolic: object, diastolic: object) =>
  obs(id, '85354-9', {}, {
    component: [
      { code: coded('8480-6'), valueQuantity: systolic },
      { code: coded('8462-4'), valueQuantity: diastolic },
    ],
  });

const weights = [
  obs('w-kg', '29463-7', { valueQuantity: qty(70, 'kg') }), // 70000 g
  obs('w-lb', '29463-7', { valueQuantity: qty(185, '[lb_av]') }), // 83914.58845 g
  obs('w-g', '29463-7', { valueQuantity: qty(90000, 'g') }), // 90000 g
  obs('w-nosys', '29463-7', { valueQuantity: qty(71, 'kg', undefined) }), // no system, UCUM code: 71000 g
];
const glucose = [
  obs('glu-mgdl', '2339-0', { valueQuantity: qty(100, 'mg/dL') }), // 1000 g.m-3
  obs('glu-gl', '2339-0', { valueQuantity: qty(1.2, 'g/L') }), // 1200 g.m-3
  obs('glu-mmol', '15074-8', { valueQuantity: qty(5.5, 'mmol/L') }), // a count per volume
];
const others = [
  obs('temp-f', '8310-5', { valueQuantity: qty(98.6, '[degF]') }), // 310.15 K
  obs('temp-c', '8310-5', { valueQuantity: qty(38.5, 'Cel') }), // 311.65 K
  obs('hr-x', '8867-4', { valueQuantity: qty(72, 'bpm', 'http://example.org/units') }), // not UCUM
  obs('hr-u', '8867-4', { valueQuantity: qty(80, '/min') }), // 1.333 s-1
  obs('insulin', '20448-7', { valueQuantity: qty(10, '[IU]') }), // arbitrary unit: no base units
  bp('bp1', qty(120, 'mm[Hg]'), qty(140, 'mm[Hg]')), // the 140 is diastolic, not systolic
  bp('bp2', qty(135, 'mm[Hg]'), qty(85, 'mm[Hg]')),
  bp('bp3', qty(17.5, 'kPa'), qty(11, 'kPa')), // 131.26 and 82.51 mm[Hg]
  obs('abo-a', '883-9', { valueCodeableConcept: coded('112144000', sct) }),
  obs('abo-o', '883-9', { valueCodeableConcept: coded('58460004', sct) }),
  obs('smoke', '72166-2', { valueCodeableConcept: coded('8517006', sct) }),
  obs('panel', '11111-1', {}, {
    component: [
      { code: coded('22222-2'), valueCodeableConcept: coded('373066001', sct) },
      { code: coded('33333-3'), valueCodeableConcept: coded('373067005', sct) },
    ],
  }),
  obs('onset', '44444-4', { valueDateTime: '2021-03-04' }),
  obs('note', '8251-1', { valueString: 'Patient feels well' }),
  obs('note2', '8251-1', { valueString: 'Cost $5, paid' }),
];
const plans = [
  {
    resourceType: 'PlanDefinition',
    id: 'plan-1',
    status: 'active',
    useContext: [
      { code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'focus' }, valueCodeableConcept: coded('38341003', sct) },
      { code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'venue' }, valueCodeableConcept: coded('264362003', sct) },
    ],
  },
];

beforeAll(async () => {
  srv = await startTestServer();
  for (const r of [...weights, ...glucose, ...others, ...plans]) await put(r);
});
afterAll(async () => srv?.stop());

const matches = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'match');
const ids = (b: Bundle) => matches(b).map((e) => e.resource?.id as string).sort();
const outcomeOf = (b: Bundle) => (b.entry ?? []).find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome | undefined;
const sorted = (...names: string[]) => [...names].sort();
const allObservations = [...weights, ...glucose, ...others].map((o) => o.id).sort();

describe('UCUM-aware quantity search', () => {
  test.each([
    // mass: 70 kg is 70000 g; eq is the range of the searched number's precision, converted
    [`value-quantity=${q(`70000|${ucum}|g`)}`, sorted('w-kg')],
    [`value-quantity=${q(`70|${ucum}|kg`)}`, sorted('w-kg')],
    [`value-quantity=${q(`eq70.0|${ucum}|kg`)}`, sorted('w-kg')],
    [`value-quantity=${q(`70.1|${ucum}|kg`)}`, []], // [70.05, 70.15) kg
    [`value-quantity=${q(`0.07|${ucum}|t`)}`, sorted('w-kg', 'w-nosys')], // [0.065, 0.075) t = [65, 75) kg
    [`value-quantity=${q(`83.9|${ucum}|kg`)}`, sorted('w-lb')], // 185 [lb_av] = 83.91 kg, in [83.85, 83.95)
    [`value-quantity=${q(`185|${ucum}|[lb_av]`)}`, sorted('w-lb')],
    [`value-quantity=${q(`71000|${ucum}|g`)}`, sorted('w-nosys')], // no system, but a UCUM code
    // prefixes, each against base units
    [`value-quantity=${q(`gt80|${ucum}|kg`)}`, sorted('w-lb', 'w-g')],
    [`value-quantity=${q(`lt71000|${ucum}|g`)}`, sorted('w-kg')],
    [`value-quantity=${q(`le71000|${ucum}|g`)}`, sorted('w-kg', 'w-nosys')],
    [`value-quantity=${q(`ge90|${ucum}|kg`)}`, sorted('w-g')],
    [`value-quantity=${q(`ne70|${ucum}|kg`)}`, sorted('w-lb', 'w-g', 'w-nosys')], // other masses only
    [`value-quantity=${q(`ap70|${ucum}|kg`)}`, sorted('w-kg', 'w-nosys')], // [63, 77] kg
    [`value-quantity=${q(`ap185|${ucum}|[lb_av]`)}`, sorted('w-lb', 'w-g')], // [166.5, 203.5] lb = [75.5, 92.3] kg
    [`value-quantity=${q(`sa80000|${ucum}|g`)}`, sorted('w-lb', 'w-g')],
    [`value-quantity=${q(`eb71|${ucum}|kg`)}`, sorted('w-kg')],
    // mass concentration: 100 mg/dL = 1 g/L = 1000 g.m-3, and never a substance concentration
    [`value-quantity=${q(`1.0|${ucum}|g/L`)}`, sorted('glu-mgdl')], // [0.95, 1.05) g/L = [950, 1050) g.m-3
    [`value-quantity=${q(`1|${ucum}|g/L`)}`, sorted('glu-mgdl', 'glu-gl')], // [0.5, 1.5) g/L
    [`value-quantity=${q(`100|${ucum}|mg/dL`)}`, sorted('glu-mgdl')],
    [`value-quantity=${q(`120|${ucum}|mg/dL`)}`, sorted('glu-gl')],
    [`value-quantity=${q(`gt1|${ucum}|g/L`)}`, sorted('glu-gl')], // 1000 is not above 1000, whatever the floating point
    [`value-quantity=${q(`ge1|${ucum}|g/L`)}`, sorted('glu-mgdl', 'glu-gl')],
    [`value-quantity=${q(`le100|${ucum}|mg/dL`)}`, sorted('glu-mgdl')],
    [`value-quantity=${q(`gt0|${ucum}|mg/dL`)}`, sorted('glu-mgdl', 'glu-gl')],
    [`value-quantity=${q(`gt0|${ucum}|mmol/L`)}`, sorted('glu-mmol')],
    [`value-quantity=${q(`5.5|${ucum}|mmol/L`)}`, sorted('glu-mmol')],
    [`value-quantity=${q(`5500|${ucum}|umol/L`)}`, sorted('glu-mmol')],
    [`value-quantity=${q(`5.5|${ucum}|mg/dL`)}`, []],
    // temperatures: converted with their offsets
    [`value-quantity=${q(`37|${ucum}|Cel`)}`, sorted('temp-f')], // [36.5, 37.5) Cel
    [`value-quantity=${q(`gt38|${ucum}|Cel`)}`, sorted('temp-c')],
    [`value-quantity=${q(`lt100|${ucum}|[degF]`)}`, sorted('temp-f')], // 100 [degF] = 37.78 Cel
    [`value-quantity=${q(`310.15|${ucum}|K`)}`, sorted('temp-f')],
    // frequency: 80 /min = 1.33 Hz; the non-UCUM 72 bpm is never converted
    [`value-quantity=${q(`gt1|${ucum}|Hz`)}`, sorted('hr-u')],
    [`value-quantity=${q(`80|${ucum}|/min`)}`, sorted('hr-u')],
    // other systems match system and code exactly
    [`value-quantity=${q('72|http://example.org/units|bpm')}`, sorted('hr-x')],
    [`value-quantity=${q('gt70|http://example.org/units|bpm')}`, sorted('hr-x')],
    [`value-quantity=${q('72|http://example.org/units|/min')}`, []],
    [`value-quantity=${q('72|http://example.org/other|bpm')}`, []],
    // arbitrary units have no base units: the exact code only
    [`value-quantity=${q(`10|${ucum}|[IU]`)}`, sorted('insulin')],
    [`value-quantity=${q(`10000|${ucum}|m[IU]`)}`, []],
    // number||code and bare numbers compare the value as written
    [`value-quantity=${q('70||kg')}`, sorted('w-kg')],
    [`value-quantity=${q('70000||g')}`, []],
    [`value-quantity=${q('72||bpm')}`, sorted('hr-x')],
    ['value-quantity=70', sorted('w-kg')],
    ['value-quantity=gt1000', sorted('w-g')],
    // comma OR across units
    [`value-quantity=${q(`70|${ucum}|kg,1.0|${ucum}|g/L`)}`, sorted('w-kg', 'glu-mgdl')],
  ])('Observation?%s', async (query, expected) => {
    const r = await call('GET', `Observation?${query}&_count=100`);
    expect(r.status).toBe(200);
    expect(outcomeOf(r.body)).toBeUndefined();
    expect(ids(r.body)).toEqual(expected);
  });

  test.each([
    `value-quantity=${q(`5|${ucum}|furlong`)}`,
    `value-quantity=${q(`72|${ucum}|bpm`)}`,
    `component-code-value-quantity=${q(`8480-6$gt130|${ucum}|mmHg`)}`,
  ])('an unknown UCUM unit is a 400: Observation?%s', async (query) => {
    const r = await call('GET', `Observation?${query}`);
    expect(r.status).toBe(400);
    expectOutcome(r, 'invalid');
    expect(r.body.issue[0].diagnostics).toMatch(/UCUM unit/);
  });
});

describe('composite parameters', () => {
  const mmHg = `|${ucum}|mm[Hg]`;
  test.each([
    // both parts on the same component: bp1's 140 is its diastolic, so it is no systolic above 130
    [`component-code-value-quantity=${q(`${loinc}|8480-6$gt130`)}`, sorted('bp2')],
    [`component-code-value-quantity=${q('8480-6$140')}`, []],
    [`component-code-value-quantity=${q('8462-4$gt130')}`, sorted('bp1')],
    [`component-code-value-quantity=${q(`8480-6$lt125${mmHg}`)}`, sorted('bp1')],
    // the quantity part is UCUM-aware: 17.5 kPa is 131.26 mm[Hg]
    [`component-code-value-quantity=${q(`8480-6$gt130${mmHg}`)}`, sorted('bp2', 'bp3')],
    [`component-code-value-quantity=${q(`8480-6$ap17${`|${ucum}|kPa`}`)}`, sorted('bp1', 'bp2', 'bp3')], // [15.3, 18.7] kPa = [114.8, 140.3] mm[Hg]
    // comma OR of whole composite values; repetition is AND
    [`component-code-value-quantity=${q('8480-6$120,8462-4$85')}`, sorted('bp1', 'bp2')],
    [`component-code-value-quantity=${q(`8480-6$gt130${mmHg}`)}&component-code-value-quantity=${q(`8462-4$lt84${mmHg}`)}`, sorted('bp3')],
    // combo: the Observation itself and each component
    [`combo-code-value-quantity=${q(`8480-6$gt130${mmHg}`)}`, sorted('bp2', 'bp3')],
    [`combo-code-value-quantity=${q(`29463-7$70|${ucum}|kg`)}`, sorted('w-kg')],
    // code-value-quantity: Observation.code with Observation.value only
    [`code-value-quantity=${q(`${loinc}|29463-7$gt80|${ucum}|kg`)}`, sorted('w-lb', 'w-g')],
    [`code-value-quantity=${q(`29463-7$70000|${ucum}|g`)}`, sorted('w-kg')],
    [`code-value-quantity=${q(`${loinc}|2339-0$1.0|${ucum}|g/L`)}`, sorted('glu-mgdl')],
    [`code-value-quantity=${q(`2339-0$5.5|${ucum}|mmol/L`)}`, []],
    [`code-value-quantity=${q('8480-6$gt100')}`, []],
    [`code-value-quantity=${q('85354-9$gt0')}`, []],
    [`code-value-quantity=${q(`${sct}|29463-7$70`)}`, []],
    // concepts
    [`code-value-concept=${q(`${loinc}|883-9$${sct}|112144000`)}`, sorted('abo-a')],
    [`code-value-concept=${q('883-9$112144000,883-9$58460004')}`, sorted('abo-a', 'abo-o')],
    [`code-value-concept=${q('72166-2$112144000')}`, []],
    [`code-value-concept=${q('72166-2$8517006')}`, sorted('smoke')],
    [`component-code-value-concept=${q('33333-3$373067005')}`, sorted('panel')],
    [`component-code-value-concept=${q('22222-2$373067005')}`, []],
    [`component-code-value-concept=${q('883-9$112144000')}`, []],
    [`combo-code-value-concept=${q('883-9$112144000')}`, sorted('abo-a')],
    [`combo-code-value-concept=${q('22222-2$373066001')}`, sorted('panel')],
    // dates and strings
    [`code-value-date=${q('44444-4$2021-03')}`, sorted('onset')],
    [`code-value-date=${q('44444-4$ge2022')}`, []],
    [`code-value-date=${q('8251-1$2021')}`, []],
    [`code-value-string=${q('8251-1$patient')}`, sorted('note')],
    [`code-value-string=${q('8251-1$well')}`, []],
    [`code-value-string=${q('8251-1$cost \\$5\\, paid')}`, sorted('note2')],
    // :missing
    ['component-code-value-quantity:missing=false', sorted('bp1', 'bp2', 'bp3')],
    ['component-code-value-quantity:missing=true', allObservations.filter((id) => !id.startsWith('bp'))],
  ])('Observation?%s', async (query, expected) => {
    const r = await call('GET', `Observation?${query}&_count=100`, undefined, { prefer: 'handling=strict' });
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual(expected);
  });

  test.each([
    [`context-type-value=${q(`focus$${sct}|38341003`)}`, ['plan-1']],
    [`context-type-value=${q(`venue$${sct}|264362003`)}`, ['plan-1']],
    // focus and venue are different useContexts
    [`context-type-value=${q(`focus$${sct}|264362003`)}`, []],
  ])('other resources: PlanDefinition?%s', async (query, expected) => {
    const r = await call('GET', `PlanDefinition?${query}`, undefined, { prefer: 'handling=strict' });
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual(expected);
  });

  test.each([
    'component-code-value-quantity=8480-6',
    'component-code-value-quantity=8480-6$120$1',
    `component-code-value-quantity=${q('$120')}`,
    `code-value-date=${q('44444-4$not-a-date')}`,
  ])('a malformed composite value is a 400: Observation?%s', async (query) => {
    const r = await call('GET', `Observation?${query}`);
    expect(r.status).toBe(400);
    expectOutcome(r, 'invalid');
  });

  test('a composite of a shape not supported is rejected in strict mode and reported otherwise', async () => {
    // DocumentReference.relationship pairs a reference with a token; PlanDefinition's
    // context-type-quantity may hold a Range
    for (const url of [`DocumentReference?relationship=${q('DocumentReference/x$replaces')}`, `PlanDefinition?context-type-quantity=${q('focus$5')}`]) {
      const strict = await call('GET', url, undefined, { prefer: 'handling=strict' });
      expect([url, strict.status]).toEqual([url, 400]);
      expectOutcome(strict);
      const lenient = await call('GET', url);
      expect(lenient.status).toBe(200);
      expect(outcomeOf(lenient.body)?.issue[0].diagnostics).toMatch(/not supported/);
    }
    const missing = await call('GET', 'DocumentReference?relationship:missing=true', undefined, { prefer: 'handling=strict' });
    expect(missing.status).toBe(400);
  });

  test('modifiers other than :missing are refused on composites', async () => {
    const r = await call('GET', `Observation?component-code-value-quantity:exact=${q('8480-6$120')}`, undefined, { prefer: 'handling=strict' });
    expect(r.status).toBe(400);
    expectOutcome(r);
  });

  test('the CapabilityStatement lists the supported composites and no others', async () => {
    const cs = (await call('GET', 'metadata')).body;
    const names = (type: string): string[] => cs.rest[0].resource.find((r: { type: string }) => r.type === type).searchParam.map((p: { name: string }) => p.name);
    for (const name of [
      'code-value-quantity',
      'code-value-concept',
      'code-value-date',
      'code-value-string',
      'combo-code-value-quantity',
      'combo-code-value-concept',
      'component-code-value-quantity',
      'component-code-value-concept',
    ]) {
      expect(names('Observation')).toContain(name);
    }
    expect(names('PlanDefinition')).toContain('context-type-value');
    expect(names('PlanDefinition')).not.toContain('context-type-quantity');
    expect(names('DocumentReference')).not.toContain('relationship');
    expect(names('MolecularSequence')).not.toContain('chromosome-variant-coordinate');
  });

  test('index rows follow updates: a changed component no longer matches its old value', async () => {
    await call('PUT', 'Observation/bp-upd', bp('bp-upd', qty(150, 'mm[Hg]'), qty(90, 'mm[Hg]')));
    const before = await call('GET', `Observation?_id=bp-upd&component-code-value-quantity=${q('8480-6$150')}`);
    expect(ids(before.body)).toEqual(['bp-upd']);
    const r = await call('PUT', 'Observation/bp-upd', bp('bp-upd', qty(110, 'mm[Hg]'), qty(70, 'mm[Hg]')));
    expect(r.status).toBe(200);
    const after = await call('GET', `Observation?_id=bp-upd&component-code-value-quantity=${q('8480-6$150')}`);
    expect(ids(after.body)).toEqual([]);
    const now = await call('GET', `Observation?_id=bp-upd&component-code-value-quantity=${q(`8480-6$110${mmHg}`)}`);
    expect(ids(now.body)).toEqual(['bp-upd']);
  });
});
