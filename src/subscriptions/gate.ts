/**
 * At most `places` holders at once, and never more than `size`; the others wait in arrival order.
 * The deliverer runs the routine bots' transactions through one, so they never hold every pooled
 * connection and an alert's run always finds one free. The gate narrows while alerts wait
 * (`narrow`): a holder beyond the new width finishes, and nobody takes its place.
 */
export class Gate {
  private held = 0;
  private open: number;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new Error('a gate needs room for one holder');
    this.open = size;
  }

  /** How many may hold a place now. */
  get places(): number {
    return this.open;
  }

  /** Sets how many may hold a place, from none to `size`; widening lets the next in line in. */
  narrow(places: number): void {
    this.open = Math.max(0, Math.min(this.size, Math.floor(places)));
    while (this.held < this.open && this.waiting.length) {
      this.held++;
      this.waiting.shift()!();
    }
  }

  /** Runs fn once a place is free, and frees it after. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.held >= this.open) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held++;
    try {
      return await fn();
    } finally {
      // the place passes straight to the next in line, unless the gate was narrowed meanwhile
      const next = this.held <= this.open ? this.waiting.shift() : undefined;
      if (next) next();
      else this.held--;
    }
  }
}
