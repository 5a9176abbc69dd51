import type { Device } from '@medplum/fhirtypes';
import { withDeviceInfo } from '../src/ingest/devices.js';
import { readingKey } from '../src/ingest/identity.js';
import { DeviceRateLimit } from '../src/ingest/rate-limit.js';
import { sampledObservation, slotsOf, type Slots } from '../src/ingest/sampled-observation.js';
import { errorsTopic, parseDeviceTopic } from '../src/ingest/topic.js';
import { placeBatch, placeSample } from '../src/ingest/windows.js';
import { rejection } from './rejection.js';

describe('device topics', () => {
  test.each([
    ['serium/default/p-7f3a/watch-01/heart-rate', { tenant: 'default', patient: 'p-7f3a', device: 'watch-01', metric: 'heart-rate' }],
    ['serium/default/p-7f3a/watch-01/heart-rate@2.0', { metric: 'heart-rate@2.0' }],
    ['serium/default/p-7f3a/watch-01', undefined],
    ['serium/default/p-7f3a/watch-01/heart-rate/extra', undefined],
    ['serium/default//watch-01/heart-rate', undefined],
    ['other/default/p/d/heart-rate', undefined],
  ])('%s', (topic, expected) => {
    const parsed = parseDeviceTopic(topic, 'serium');
    if (expected === undefined) expect(parsed).toBeUndefined();
    else expect(parsed).toMatchObject(expected);
  });

  test('the errors topic sits beside the device topic', () => {
    expect(errorsTopic({ root: 'serium', tenant: 'default', patient: 'p', device: 'd' })).toBe('serium/default/p/d/errors');
  });
});

describe('packing windows', () => {
  const minute = { windowMs: 60_000, periodMs: 1000 };
  const at = (iso: string) => Date.parse(iso);
  test.each([
    ['2026-11-20T09:00:00.000Z', '2026-11-20T09:00:00.000Z', 0],
    ['2026-11-20T09:00:59.000Z', '2026-11-20T09:00:00.000Z', 59],
    ['2026-11-20T09:00:10.400Z', '2026-11-20T09:00:00.000Z', 10],
    ['2026-11-20T09:00:10.600Z', '2026-11-20T09:00:00.000Z', 11],
    // rounds up into the next window's first slot
    ['2026-11-20T09:00:59.700Z', '2026-11-20T09:01:00.000Z', 0],
  ])('%s', (time, windowStart, slot) => {
    const placed = placeSample(at(time), minute);
    expect(new Date(placed.windowStart).toISOString()).toBe(windowStart);
    expect(placed.slot).toBe(slot);
  });
});

describe('a batch with two samples in one slot', () => {
  const batch = (offsets: number[]) => ({
    metric: 'heart-rate' as const,
    seq: 1,
    sourceOffset: '+00:00',
    device: {},
    samples: offsets.map((o) => ({ time: new Date(Date.parse('2026-11-20T09:00:00Z') + o).toISOString(), value: 60, quality: [] })),
  });
  test('is refused, naming both samples', () => {
    const r = rejection(() => placeBatch(batch([0, 500, 1000, 1500])));
    expect(r.reason).toBe('schema');
    expect(r.message).toContain('samples 1 and 2');
  });
  test('one sample per second is placed', () => {
    expect(placeBatch(batch([0, 1000, 2100])).map((p) => p.slot)).toEqual([0, 1, 2]);
  });
});

describe('SampledData', () => {
  const info = {
    code: [{ system: 'http://loinc.org', code: '8867-4' }],
    category: 'vital-signs' as const,
    unit: { code: '/min', display: 'beats/minute' },
  };
  test('slots become data with E for gaps, flags name their slots, and read back the same', () => {
    const slots: Slots = new Map([
      [0, { value: 61, quality: [] }],
      [2, { value: 62.5, quality: ['motion'] }],
      [3, { value: null, quality: ['poor-contact', 'motion'] }],
    ]);
    const o = sampledObservation({
      info,
      packing: { windowMs: 5000, periodMs: 1000 },
      windowStart: Date.parse('2026-11-20T09:00:00Z'),
      slots,
      identifier: { system: 's', value: 'v' },
      patientId: 'p',
      deviceId: 'd',
      sourceOffset: '+01:00',
    });
    expect(o.valueSampledData?.data).toBe('61 E 62.5 E E');
    expect(o.effectivePeriod).toMatchObject({ start: '2026-11-20T09:00:00.000Z', end: '2026-11-20T09:00:05.000Z' });
    expect(o.extension?.map((e) => e.extension?.map((x) => x.valueCode ?? x.valueString))).toEqual([
      ['motion', '2 3'],
      ['poor-contact', '3'],
    ]);
    const back = slotsOf(o);
    expect([...back.entries()].sort(([a], [b]) => a - b)).toEqual([
      [0, { value: 61, quality: [] }],
      [2, { value: 62.5, quality: ['motion'] }],
      [3, { value: null, quality: ['motion', 'poor-contact'] }],
    ]);
  });
});

describe('device details', () => {
  const device: Device = { resourceType: 'Device', id: 'd', status: 'active' };
  test('model, firmware and battery are applied; a small battery change is not', () => {
    const first = withDeviceInfo(device, { model: 'W2', firmware: '1.0', battery: 80 })!;
    expect(first.modelNumber).toBe('W2');
    expect(first.version?.[0].value).toBe('1.0');
    expect(first.property?.[0].valueQuantity?.[0].value).toBe(80);
    expect(withDeviceInfo(first, { model: 'W2', firmware: '1.0', battery: 77 })).toBeUndefined();
    expect(withDeviceInfo(first, { battery: 75 })?.property?.[0].valueQuantity?.[0].value).toBe(75);
    expect(withDeviceInfo(first, { firmware: '1.1' })?.version).toHaveLength(1);
    expect(withDeviceInfo(first, {})).toBeUndefined();
  });
});

describe('rate limit', () => {
  test('a device gets its burst, then its rate', () => {
    let now = 0;
    const limit = new DeviceRateLimit(10, 30, () => now);
    expect(limit.take('d', 30)).toBe(true);
    expect(limit.take('d', 1)).toBe(false);
    expect(limit.take('other', 5)).toBe(true);
    now = 500;
    expect(limit.take('d', 6)).toBe(false);
    expect(limit.take('d', 5)).toBe(true);
  });
});

describe('reading keys', () => {
  test('device, patient, code, time, duration and supplemental codes, PHD style', () => {
    expect(readingKey({ device: 'cuff-1', pseudonym: 'p-1', code: '85354-9', start: '2026-11-20T07:00:00.000Z', durationMs: 0, supplemental: [] })).toBe(
      'cuff-1/p-1/85354-9/20261120T070000.000Z/0',
    );
    expect(readingKey({ device: 'm', pseudonym: 'p', code: '88365-2', start: '2026-11-20T07:00:00Z', durationMs: 0, supplemental: ['before-meal'] })).toBe(
      'm/p/88365-2/20261120T070000Z/0/before-meal',
    );
  });

  test('devices and pseudonyms with dashes cannot make two readings one', () => {
    const reading = { code: '8867-4', start: '2026-11-20T07:00:00Z', durationMs: 0, supplemental: [] };
    expect(readingKey({ ...reading, device: 'cuff', pseudonym: 'p-1' })).not.toBe(readingKey({ ...reading, device: 'cuff-p', pseudonym: '1' }));
  });
});
