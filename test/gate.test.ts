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
