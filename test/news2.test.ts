import {
  consciousnessScore,
  news2,
  news2Risk,
  oxygenScore,
  pulseScore,
  respirationRateScore,
  spo2Scale1Score,
  spo2Scale2Score,
  systolicScore,
  temperatureScore,
} from '../src/bots/news2.js';

// Every band edge of the RCP NEWS2 chart (2017), both sides of each boundary.

test.each([
  [0, 3], [8, 3], [9, 1], [11, 1], [12, 0], [20, 0], [21, 2], [24, 2], [25, 3], [40, 3],
  // rounded first, as a chart records a whole number
  [8.4, 3], [8.5, 1], [20.4, 0], [20.5, 2],
])('respiration rate %s /min scores %s', (rate, score) => {
  expect(respirationRateScore(rate)).toBe(score);
});

test.each([
  [70, 3], [91, 3], [92, 2], [93, 2], [94, 1], [95, 1], [96, 0], [100, 0],
  [91.4, 3], [91.5, 2], [95.5, 0],
])('SpO2 scale 1: %s %% scores %s', (spo2, score) => {
  expect(spo2Scale1Score(spo2)).toBe(score);
});

test.each([
  // below 88 % scores the same on air and on oxygen
  [80, false, 3], [83, false, 3], [84, false, 2], [85, false, 2], [86, false, 1], [87, false, 1],
  [83, true, 3], [84, true, 2], [86, true, 1],
  // the target range scores 0 either way
  [88, false, 0], [92, false, 0], [88, true, 0], [92, true, 0],
  // 93 % or more: 0 on air, 1–3 on oxygen
  [93, false, 0], [97, false, 0], [100, false, 0],
  [93, true, 1], [94, true, 1], [95, true, 2], [96, true, 2], [97, true, 3], [100, true, 3],
])('SpO2 scale 2: %s %% on oxygen %s scores %s', (spo2, oxygen, score) => {
  expect(spo2Scale2Score(spo2, oxygen)).toBe(score);
});

test('air scores 0, oxygen 2', () => {
  expect(oxygenScore(false)).toBe(0);
  expect(oxygenScore(true)).toBe(2);
});

test.each([
  [60, 3], [90, 3], [91, 2], [100, 2], [101, 1], [110, 1], [111, 0], [219, 0], [220, 3], [260, 3],
  [90.4, 3], [90.5, 2], [219.4, 0], [219.5, 3],
])('systolic %s mm[Hg] scores %s', (sbp, score) => {
  expect(systolicScore(sbp)).toBe(score);
});

test.each([
  [30, 3], [40, 3], [41, 1], [50, 1], [51, 0], [90, 0], [91, 1], [110, 1], [111, 2], [130, 2], [131, 3], [180, 3],
  [40.4, 3], [40.5, 1], [90.5, 1],
])('pulse %s /min scores %s', (pulse, score) => {
  expect(pulseScore(pulse)).toBe(score);
});

test.each([
  ['A', 0], ['C', 3], ['V', 3], ['P', 3], ['U', 3],
] as const)('consciousness %s scores %s', (level, score) => {
  expect(consciousnessScore(level)).toBe(score);
});

test.each([
  [34, 3], [35.0, 3], [35.1, 1], [36.0, 1], [36.1, 0], [38.0, 0], [38.1, 1], [39.0, 1], [39.1, 2], [41, 2],
  // rounded to 0.1 first
  [35.04, 3], [35.05, 1], [38.04, 0], [38.06, 1],
  // 101.3 °F converted is 38.4999…: 38.5
  [((101.3 - 32) * 5) / 9, 1],
])('temperature %s °C scores %s', (t, score) => {
  expect(temperatureScore(t)).toBe(score);
});

test.each([
  [0, [0, 0, 0, 0, 0, 0, 0], 'low'],
  [4, [1, 1, 1, 1, 0, 0, 0], 'low'],
  [3, [3, 0, 0, 0, 0, 0, 0], 'low-medium'],
  [4, [3, 1, 0, 0, 0, 0, 0], 'low-medium'],
  [5, [1, 1, 1, 1, 1, 0, 0], 'medium'],
  [5, [3, 2, 0, 0, 0, 0, 0], 'medium'],
  [6, [2, 2, 2, 0, 0, 0, 0], 'medium'],
  [7, [1, 1, 1, 1, 1, 1, 1], 'high'],
  [20, [3, 3, 2, 3, 3, 3, 3], 'high'],
] as const)('total %s with sub-scores %j is %s risk', (total, scores, risk) => {
  expect(news2Risk(total, [...scores])).toBe(risk);
});

test('a healthy adult on air scores 0, low risk, nothing missing', () => {
  expect(news2({ respirationRate: 16, spo2: 97, oxygen: false, systolic: 125, pulse: 70, consciousness: 'A', temperature: 36.8 })).toEqual({
    total: 0,
    scores: { respirationRate: 0, spo2: 0, oxygen: 0, systolic: 0, pulse: 0, consciousness: 0, temperature: 0 },
    missing: [],
    risk: 'low',
  });
});

test('the worst of every parameter scores 20', () => {
  const r = news2({ respirationRate: 30, spo2: 85, oxygen: true, systolic: 85, pulse: 140, consciousness: 'U', temperature: 34 });
  expect(r.total).toBe(20);
  expect(r.risk).toBe('high');
});

test('scale 2 on oxygen and on air, and scale 1 for the same reading', () => {
  const base = { respirationRate: 18, systolic: 130, pulse: 80, consciousness: 'A' as const, temperature: 37 };
  expect(news2({ ...base, spo2: 95, scale: 2, oxygen: true })).toMatchObject({ total: 4, scores: { spo2: 2, oxygen: 2 }, risk: 'low' });
  expect(news2({ ...base, spo2: 95, scale: 2, oxygen: false })).toMatchObject({ total: 0, scores: { spo2: 0, oxygen: 0 } });
  expect(news2({ ...base, spo2: 95, scale: 1, oxygen: false })).toMatchObject({ total: 1, scores: { spo2: 1, oxygen: 0 } });
  expect(news2({ ...base, spo2: 95, oxygen: true })).toMatchObject({ total: 3, scores: { spo2: 1, oxygen: 2 } });
});

test('scale 2 with oxygen use unknown scores SpO2 as on air and lists oxygen as missing', () => {
  const r = news2({ spo2: 97, scale: 2 });
  expect(r.scores).toEqual({ spo2: 0 });
  expect(r.missing).toEqual(['respirationRate', 'oxygen', 'systolic', 'pulse', 'consciousness', 'temperature']);
});

test('a partial score counts what is present; a single 3 makes it low–medium', () => {
  const r = news2({ respirationRate: 25, temperature: 36.5 });
  expect(r).toEqual({ total: 3, scores: { respirationRate: 3, temperature: 0 }, missing: ['spo2', 'oxygen', 'systolic', 'pulse', 'consciousness'], risk: 'low-medium' });
});

test('nothing to score', () => {
  expect(news2({})).toEqual({ total: 0, scores: {}, missing: ['respirationRate', 'spo2', 'oxygen', 'systolic', 'pulse', 'consciousness', 'temperature'], risk: 'low' });
});
