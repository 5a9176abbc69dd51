/**
 * The longest wait lately on an alert's path: a reading from its arrival to its commit, an urgent
 * notification from its event to its claim. The routine bots' gate is set from it once a period
 * (`routinePlaces`): aggregates can wait, alerts cannot.
 */
export class AlertWaits {
  private worst = 0;

  /** Records one wait, in ms. */
  note(waitedMs: number): void {
    if (waitedMs > this.worst) this.worst = waitedMs;
  }

  /** The longest wait recorded since the last call. */
  takeWorst(): number {
    const worst = this.worst;
    this.worst = 0;
    return worst;
  }
}

/**
 * How many routine bot runs may go on in the next period: one more than now after a period whose
 * waits all kept within the target, half as many after one that did not (additive increase,
 * multiplicative decrease). Under a load that keeps the waits long, they alternate between none
 * and one: the aggregates still advance, behind the alerts.
 */
export function routinePlaces(places: number, worstMs: number, targetMs: number): number {
  return worstMs > targetMs ? Math.floor(places / 2) : places + 1;
}
