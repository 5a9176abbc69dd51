import { createHash } from 'node:crypto';

/**
 * A seeded pseudo-random source (xorshift128 over four 32-bit words), so that a run is
 * reproducible: the same key always gives the same sequence.
 */
export class Random {
  private x: number;
  private y: number;
  private z: number;
  private w: number;
  private spare: number | undefined;

  /** Seeds from a hash of the key parts, e.g. `new Random(seed, patient, 'heart-rate', hour)`. */
  constructor(...key: (string | number)[]) {
    const digest = createHash('sha256').update(key.join('\u0000')).digest();
    this.x = digest.readUInt32LE(0);
    this.y = digest.readUInt32LE(4);
    this.z = digest.readUInt32LE(8);
    this.w = digest.readUInt32LE(12) || 0x2545f491; // the state must not be all zero
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w / 4294967296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer uniform in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Normally distributed (Box-Muller, which makes two values at a time). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + sd * z;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.next())); // 1 - next() is in (0, 1]
    const angle = 2 * Math.PI * this.next();
    this.spare = radius * Math.sin(angle);
    return mean + sd * radius * Math.cos(angle);
  }
}

/** Lower-case hex digest of the key parts, `length` characters long: stable identifiers. */
export function hexId(length: number, ...key: (string | number)[]): string {
  return createHash('sha256').update(key.join('\u0000')).digest('hex').slice(0, length);
}

/** A UUID (version 5 layout) derived from the key parts: the same key, the same id. */
export function uuidFrom(...key: (string | number)[]): string {
  const h = createHash('sha1').update(key.join('\u0000')).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
