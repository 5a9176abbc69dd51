import type { Logger } from './logger.js';

/**
 * Runs a unit of background work again and again: at once while it finds work (it returns how
 * much it did), every intervalMs when idle, and after failureWaitMs when it throws (the database
 * being away, say). stop() waits for the round under way.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly work: () => Promise<number>,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly failureWaitMs = 2000,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.intervalMs);
  }

  /** Runs a round soon, instead of waiting for the interval (new work is known to be there). */
  poke(): void {
    if (this.stopped || !this.timer) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.round();
    }, ms);
  }

  private async round(): Promise<void> {
    let wait = this.intervalMs;
    try {
      if ((await this.work()) > 0) wait = 0;
    } catch (err) {
      wait = Math.max(this.intervalMs, this.failureWaitMs);
      this.log.warn(`${this.name} failed; retrying later`, { error: (err as Error).message, retryInMs: wait });
    }
    if (!this.stopped) this.schedule(wait);
  }
}
