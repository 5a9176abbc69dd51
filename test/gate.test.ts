import { Gate } from '../src/subscriptions/gate.js';

// The gate the routine bots' runs go through: never more holders than its size, the others in
// arrival order, and a place freed when a holder fails.

test('at most `size` run at once, the rest in arrival order, failures free their place', async () => {
  const gate = new Gate(2);
  let running = 0;
  let most = 0;
  const order: number[] = [];
  const releases: Array<() => void> = [];
  const runs = [0, 1, 2, 3, 4].map((i) =>
    gate.run(async () => {
      running++;
      most = Math.max(most, running);
      order.push(i);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      if (i === 1) throw new Error('run 1 fails');
      return i;
    }).then(
      () => 'done',
      () => 'failed',
    ),
  );
  // let one holder finish at a time, once the next has had the chance to start
  for (let finished = 0; finished < 5; ) {
    await new Promise((r) => setImmediate(r));
    const release = releases.shift();
    if (release) {
      expect(running).toBeLessThanOrEqual(2);
      release();
      finished++;
    }
  }
  const settled = await Promise.all(runs);
  expect(most).toBe(2);
  expect(order).toEqual([0, 1, 2, 3, 4]);
  expect(settled).toEqual(['done', 'failed', 'done', 'done', 'done']);
  expect(() => new Gate(0)).toThrow();
});

test('a narrowed gate lets nobody new in until it widens; holders finish', async () => {
  const gate = new Gate(3);
  const started: number[] = [];
  const releases = new Map<number, () => void>();
  const hold = (i: number) =>
    gate.run(async () => {
      started.push(i);
      await new Promise<void>((resolve) => releases.set(i, resolve));
    });
  const tick = () => new Promise((r) => setImmediate(r));
  const runs = [0, 1, 2, 3, 4].map(hold);
  await tick();
  expect(started).toEqual([0, 1, 2]);
  gate.narrow(0);
  expect(gate.places).toBe(0);
  // the three holders finish; their places are not passed on
  for (const i of [0, 1, 2]) releases.get(i)!();
  await tick();
  await tick();
  expect(started).toEqual([0, 1, 2]);
  // widening lets the next in line in, one per place, never beyond the size
  gate.narrow(1);
  await tick();
  expect(started).toEqual([0, 1, 2, 3]);
  gate.narrow(10);
  expect(gate.places).toBe(3);
  await tick();
  expect(started).toEqual([0, 1, 2, 3, 4]);
  releases.get(3)!();
  releases.get(4)!();
  await Promise.all(runs);
});
