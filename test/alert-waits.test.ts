import { AlertWaits, routinePlaces } from '../src/subscriptions/alert-waits.js';

// How the routine bots give way to the alerts: the longest wait of a period decides the next.

test('the longest wait since the last look is reported once', () => {
  const waits = new AlertWaits();
  expect(waits.takeWorst()).toBe(0);
  waits.note(120);
  waits.note(480);
  waits.note(30);
  expect(waits.takeWorst()).toBe(480);
  expect(waits.takeWorst()).toBe(0);
});

test('one more place after a period within the target, half after one past it', () => {
  expect(routinePlaces(2, 150, 200)).toBe(3);
  expect(routinePlaces(2, 200, 200)).toBe(3);
  expect(routinePlaces(4, 201, 200)).toBe(2);
  expect(routinePlaces(3, 900, 200)).toBe(1);
  expect(routinePlaces(1, 900, 200)).toBe(0);
  // shut, the gate opens to one after a calm period: the aggregates still advance
  expect(routinePlaces(0, 900, 200)).toBe(0);
  expect(routinePlaces(0, 10, 200)).toBe(1);
});
