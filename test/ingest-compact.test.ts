import { decodeCompact, isCompact } from '../src/ingest/compact/decode.js';
import { rejection } from './rejection.js';

// The compact batch format (serium-compact/1): what it accepts and refuses, sample times,
// quality flags, units and plausibility. Expected times were worked out by hand.

const example = {
  format: 'serium-compact/1',
  seq: 1042,
  start: '2026-11-21T09:00:00.000+01:00',
  interval_ms: 1000,
  unit: 'beats/min',
  values: [72, 73, null, 74],
  quality: { '1': ['motion'] },
  battery: 87,
  firmware: '2.4.1',
  model: 'W2',
  manufacturer: 'Acme',
  gateway: { id: 'phone-ab12', model: 'Pixel 8', firmware: 'Serium Gateway 1.3.0', battery: 54 },
};
type Batch = Record<string, unknown>;
const batch = (changes: Batch = {}, without: string[] = []): Batch => {
  const b: Batch = { ...structuredClone(example), ...changes };
  for (const key of without) delete b[key];
  return b;
};

describe('the example batch', () => {
  const decoded = decodeCompact('heart-rate', batch());

  test('samples every interval_ms from start, in UTC', () => {
    expect(decoded.samples).toEqual([
      { time: '2026-11-21T08:00:00.000Z', value: 72, quality: [] },
      { time: '2026-11-21T08:00:01.000Z', value: 73, quality: ['motion'] },
      { time: '2026-11-21T08:00:02.000Z', value: null, quality: [] },
      { time: '2026-11-21T08:00:03.000Z', value: 74, quality: [] },
    ]);
  });

  test('metric, sequence, offset, device and gateway', () => {
    expect(decoded.metric).toBe('heart-rate');
    expect(decoded.seq).toBe(1042);
    expect(decoded.sourceOffset).toBe('+01:00');
    expect(decoded.device).toEqual({ manufacturer: 'Acme', model: 'W2', firmware: '2.4.1', battery: 87 });
    expect(decoded.gateway).toEqual({ id: 'phone-ab12', model: 'Pixel 8', firmware: 'Serium Gateway 1.3.0', battery: 54 });
  });

  test('isCompact tells it from Open mHealth', () => {
    expect(isCompact(batch())).toBe(true);
    expect(isCompact({ ...batch(), format: 'serium-compact/2' })).toBe(false);
    expect(isCompact({ heart_rate: { value: 60, unit: 'beats/min' } })).toBe(false);
    expect(isCompact([batch()])).toBe(false);
    expect(isCompact(null)).toBe(false);
    expect(isCompact('serium-compact/1')).toBe(false);
  });
});

describe('sample times', () => {
  test('from offsets_ms', () => {
    const decoded = decodeCompact('heart-rate', batch({ offsets_ms: [0, 1000, 2500, 3000] }, ['interval_ms']));
    expect(decoded.samples.map((s) => s.time)).toEqual(['2026-11-21T08:00:00.000Z', '2026-11-21T08:00:01.000Z', '2026-11-21T08:00:02.500Z', '2026-11-21T08:00:03.000Z']);
  });

  test('equal offsets are allowed (never decreasing)', () => {
    const decoded = decodeCompact('heart-rate', batch({ offsets_ms: [500, 500, 900, 900] }, ['interval_ms']));
    expect(decoded.samples.map((s) => s.time)).toEqual(['2026-11-21T08:00:00.500Z', '2026-11-21T08:00:00.500Z', '2026-11-21T08:00:00.900Z', '2026-11-21T08:00:00.900Z']);
  });

  test.each([
    ['an unknown offset', '2026-11-21T23:59:30-00:00', '-00:00', '2026-11-21T23:59:30.000Z'],
    ['a negative offset across midnight', '2026-11-21T23:59:30-05:00', '-05:00', '2026-11-22T04:59:30.000Z'],
    ['Z', '2026-11-21T08:00:00Z', '+00:00', '2026-11-21T08:00:00.000Z'],
    ['a half-hour offset', '2026-11-21T08:00:00.250+05:30', '+05:30', '2026-11-21T02:30:00.250Z'],
  ])('a start with %s', (_name, start, offset, first) => {
    const decoded = decodeCompact('heart-rate', batch({ start, interval_ms: 60000 }));
    expect(decoded.sourceOffset).toBe(offset);
    expect(decoded.samples[0].time).toBe(first);
    expect(Date.parse(decoded.samples[3].time) - Date.parse(first)).toBe(180000);
  });
});

describe('units', () => {
  test.each([
    ['heart-rate', 'beats/min', 72],
    ['heart-rate', '/min', 72],
    ['respiratory-rate', 'breaths/min', 16],
    ['oxygen-saturation', '%', 97],
    ['step-count', 'steps', 3],
    ['step-count', '{steps}', 3],
  ])('%s in %s', (metric, unit, value) => {
    const decoded = decodeCompact(metric, batch({ unit, values: [value], quality: {} }));
    expect(decoded.samples[0].value).toBe(value);
  });

  test.each([
    ['heart-rate', 'kg'],
    ['oxygen-saturation', 'beats/min'],
    ['step-count', '%'],
    ['heart-rate', 'bpm'],
  ])('%s in %s is refused', (metric, unit) => {
    const r = rejection(() => decodeCompact(metric, batch({ unit, values: [null], quality: {} })));
    expect(r.reason).toBe('schema');
    expect(r.message).toContain(`unit "${unit}"`);
  });
});

describe('plausibility', () => {
  test('one implausible sample rejects the batch, naming it', () => {
    const r = rejection(() => decodeCompact('heart-rate', batch({ values: [72, 73, 250, 74] })));
    expect(r.reason).toBe('implausible');
    expect(r.message).toBe('values[2] 250 /min is outside the plausible range 30–220 /min');
  });

  test.each([
    ['oxygen-saturation', '%', 100, true],
    ['oxygen-saturation', '%', 100.5, false],
    ['oxygen-saturation', '%', 49, false],
    ['respiratory-rate', 'breaths/min', 70, true],
    ['respiratory-rate', 'breaths/min', 71, false],
    ['heart-rate', 'beats/min', 29, false],
  ])('%s %s %s', (metric, unit, value, plausible) => {
    const run = () => decodeCompact(metric, batch({ unit, values: [value], quality: {} }));
    if (plausible) expect(run().samples[0].value).toBe(value);
    else expect(rejection(run).reason).toBe('implausible');
  });

  // 300 steps per minute: 5 per second, 300 per 60-second sample.
  test.each([
    ['5 steps in one second', { interval_ms: 1000, values: [5] }, true],
    ['6 steps in one second', { interval_ms: 1000, values: [6] }, false],
    ['300 steps in a minute', { interval_ms: 60000, values: [300, 0] }, true],
    ['301 steps in a minute', { interval_ms: 60000, values: [0, 301] }, false],
    ['a negative count', { interval_ms: 60000, values: [-1] }, false],
    // Irregular: each sample covers the time until the next; the last, the gap before it.
    ['10 steps in the 2 s to the next sample', { offsets_ms: [0, 2000, 2500], values: [10, 2, 2] }, true],
    ['3 steps in the 0.5 s to the next sample', { offsets_ms: [0, 2000, 2500], values: [10, 3, 2] }, false],
    ['3 steps in the last sample, 0.5 s like the gap before it', { offsets_ms: [0, 2000, 2500], values: [10, 2, 3] }, false],
    ['300 steps in a lone sample (one minute)', { offsets_ms: [0], values: [300] }, true],
    ['301 steps in a lone sample', { offsets_ms: [0], values: [301] }, false],
  ])('%s', (_name, changes, plausible) => {
    const without = 'offsets_ms' in changes ? ['interval_ms'] : [];
    const run = () => decodeCompact('step-count', batch({ unit: 'steps', quality: {}, ...changes }, without));
    if (plausible) expect(run().samples).toHaveLength(changes.values.length);
    else expect(rejection(run).reason).toBe('implausible');
  });
});

describe('refused batches', () => {
  const long = 'x'.repeat(65);
  test.each([
    ['interval_ms and offsets_ms both', batch({ offsets_ms: [0, 1, 2, 3] }), 'exactly one of interval_ms'],
    ['neither interval_ms nor offsets_ms', batch({}, ['interval_ms']), 'exactly one of interval_ms'],
    ['offsets_ms shorter than values', batch({ offsets_ms: [0, 1000, 2000] }, ['interval_ms']), 'offsets_ms has 3 entries, values 4'],
    ['decreasing offsets_ms', batch({ offsets_ms: [0, 2000, 1000, 3000] }, ['interval_ms']), 'offsets_ms[2] 1000 is before offsets_ms[1] 2000'],
    ['a negative offset', batch({ offsets_ms: [-5, 0, 1, 2] }, ['interval_ms']), 'offsets_ms[0]'],
    ['no values', batch({ values: [], quality: {} }), 'values'],
    ['3601 values', batch({ values: new Array(3601).fill(60), quality: {} }), 'values'],
    ['a string value', batch({ values: [72, '73', null, 74] }), 'values[1]'],
    ['a quality index with no sample', batch({ quality: { '4': ['motion'] } }), 'quality["4"]'],
    ['a quality index that is no number', batch({ quality: { first: ['motion'] } }), 'quality'],
    ['an unknown quality flag', batch({ quality: { '1': ['sweaty'] } }), 'allowed values'],
    ['an empty quality list', batch({ quality: { '1': [] } }), 'quality'],
    ['battery above 100', batch({ battery: 101 }), 'battery'],
    ['battery below 0', batch({ battery: -1 }), 'battery'],
    ['a model longer than 64', batch({ model: long }), 'model'],
    ['a gateway firmware longer than 64', batch({ gateway: { id: 'g', firmware: long } }), 'gateway.firmware'],
    ['a gateway without id', batch({ gateway: { model: 'Pixel 8' } }), "'id'"],
    ['an unknown property', batch({ temperature: 31 }), '"temperature"'],
    ['an unknown gateway property', batch({ gateway: { id: 'g', owner: 'me' } }), '"owner"'],
    ['a start without offset', batch({ start: '2026-11-21T09:00:00' }), 'start'],
    ['a start that is no date', batch({ start: '2026-02-30T09:00:00Z' }), 'start'],
    ['a negative seq', batch({ seq: -1 }), 'seq'],
    ['a fractional seq', batch({ seq: 1.5 }), 'seq'],
    ['no seq', batch({}, ['seq']), "'seq'"],
    ['no unit', batch({}, ['unit']), "'unit'"],
    ['interval_ms 0', batch({ interval_ms: 0 }), 'interval_ms'],
    ['another format', batch({ format: 'serium-compact/2' }), 'format'],
  ])('%s', (_name, payload, message) => {
    const r = rejection(() => decodeCompact('heart-rate', payload));
    expect(r.reason).toBe('schema');
    expect(r.message).toContain(message);
  });

  test.each([['blood-pressure'], ['body-weight'], ['heart-rate@2.0'], ['sleep-duration']])('metric %s is refused as unknown-metric', (segment) => {
    expect(rejection(() => decodeCompact(segment, batch())).reason).toBe('unknown-metric');
  });

  test('a payload that is not an object', () => {
    expect(rejection(() => decodeCompact('heart-rate', [batch()])).reason).toBe('schema');
    expect(rejection(() => decodeCompact('heart-rate', null)).reason).toBe('schema');
  });
});
