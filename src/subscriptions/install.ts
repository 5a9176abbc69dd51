import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Subscription } from '@medplum/fhirtypes';
import type { Logger } from '../logger.js';
import type { Repository } from '../repository/repository.js';

/** What the server changes on a Subscription (status, error, meta) is no difference from the file; nor is the order of keys. */
function comparable(s: Subscription): string {
  const { meta: _m, status: _s, error: _e, ...rest } = s;
  return JSON.stringify(sorted(rest));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted((value as Record<string, unknown>)[k])]));
  return value;
}

/**
 * Installs the Subscriptions in `dir` (one JSON file each, with an id): created when absent,
 * updated when the file says something else, left alone when only their status or error moved
 * on (so a restart neither repeats a handshake nor revives one in error). Returns how many were
 * written.
 */
export async function installSubscriptions(repo: Repository, dir: string, log: Logger): Promise<number> {
  if (!existsSync(dir)) return 0;
  let written = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const s = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Subscription;
    if (s.resourceType !== 'Subscription' || !s.id) throw new Error(`${file} in ${dir} must be a Subscription with an id`);
    const current = await repo.current('Subscription', s.id);
    const stored = current && !current.deleted ? (current.resource as Subscription) : undefined;
    if (stored && comparable(stored) === comparable(s)) continue;
    await repo.update(s, s.id);
    written++;
    log.info('subscription installed', { id: s.id, file });
  }
  return written;
}
