/**
 * A token bucket per device: `rate` readings per second on average, up to `burst` at once (a
 * phone that was offline sends its backlog in one go). A message that would overdraw the bucket
 * is refused whole and costs nothing.
 */
export class DeviceRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `readings` tokens from the device's bucket; false when it has too few. */
  take(device: string, readings: number): boolean {
    if (this.rate <= 0) return true;
    const now = this.now();
    const bucket = this.buckets.get(device) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    if (this.buckets.size > 200_000) this.buckets.clear();
    this.buckets.set(device, bucket);
    if (bucket.tokens < readings) return false;
    bucket.tokens -= readings;
    return true;
  }
}
