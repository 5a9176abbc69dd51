/**
 * At most `size` holders at once; the others wait in arrival order. The deliverer runs the
 * routine bots' transactions through one, so they never hold every pooled connection and an
 * alert's run always finds one free.
 */
export class Gate {
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new Error('a gate needs room for one holder');
  }

  /** Runs fn once a place is free, and frees it after. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.held >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held++;
    try {
      return await fn();
    } finally {
      // the place passes straight to the next in line, if any
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    }
  }
}
