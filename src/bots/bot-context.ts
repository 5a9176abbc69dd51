import type { Resource } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/outcome.js';
import { deterministicId } from '../ingest/identity.js';
import type { Repository } from '../repository/repository.js';
import { search, type SearchContext } from '../search/search.js';
import type { Notifier } from '../notify/channel.js';
import type { Bot, BotContext } from './bot.js';

/** The Device id a bot acts as. */
export const botDeviceId = (bot: Bot) => `bot-${bot.id}`;

/**
 * The repository a bot gets: reads and searches of its tenant, writes only of the types it
 * declares, each marked with meta.source urn:serium:bot:<id> so an auditor sees what the bot did.
 */
export function botContext(bot: Bot, repo: Repository, searchContext: SearchContext, notifier: Notifier): BotContext {
  const allowed = (type: string) => {
    if (!bot.writes.includes(type)) throw new FhirError('forbidden', `Bot ${bot.id} may not write ${type}`, { status: 403 });
  };
  const mark = <T extends Resource>(r: T): T => ({ ...r, meta: { ...r.meta, source: `urn:serium:bot:${bot.id}` } });
  /** Locks are per tenant: the same key in another tenant is another lock. */
  const lockName = (key: string) => `${repo.tenant}/${key}`;
  return {
    identity: { reference: `Device/${botDeviceId(bot)}`, display: bot.title },
    notifier,
    async read(resourceType, id) {
      const found = await repo.current(resourceType, id);
      return found && !found.deleted ? (found.resource as never) : undefined;
    },
    async search(resourceType, params) {
      const query = new URLSearchParams({ _count: '100' });
      for (const [k, v] of Object.entries(params)) {
        query.delete(k);
        for (const one of Array.isArray(v) ? v : [v]) query.append(k, one);
      }
      const result = await search(searchContext, { resourceType, params: query, strict: true });
      return result.entries.map((e) => e.resource as never);
    },
    async createOnce(resource, key) {
      allowed(resource.resourceType);
      const id = deterministicId(repo.tenant, 'bot', bot.id, key);
      const existing = await repo.current(resource.resourceType, id);
      if (existing) return { resource: existing.resource as never, created: false };
      const stored = await repo.createWithId(mark(resource), id);
      return { resource: stored.resource as never, created: true };
    },
    async upsert(resource, key) {
      allowed(resource.resourceType);
      const id = deterministicId(repo.tenant, 'bot', bot.id, key);
      const existing = await repo.current(resource.resourceType, id);
      const marked = mark(resource);
      if (existing && !existing.deleted && sameContent(existing.resource as Resource, marked)) return { resource: existing.resource as never, changed: false };
      const { stored } = await repo.update(marked, id);
      return { resource: stored.resource as never, changed: true };
    },
    async lock(key) {
      await repo.queryable.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockName(key)]);
    },
    async tryLock(key) {
      const { rows } = await repo.queryable.query<{ held: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS held', [lockName(key)]);
      return rows[0].held;
    },
    async update(resource) {
      allowed(resource.resourceType);
      const { stored } = await repo.update(mark(resource), resource.id);
      return stored.resource as never;
    },
  };
}

/** Equal but for id and the version's meta (versionId, lastUpdated). */
function sameContent(a: Resource, b: Resource): boolean {
  const strip = (r: Resource) => {
    const { id: _i, meta, ...rest } = r as Resource & { meta?: Record<string, unknown> };
    const { versionId: _v, lastUpdated: _l, ...keptMeta } = meta ?? {};
    return JSON.stringify({ ...rest, meta: keptMeta });
  };
  return strip(a) === strip(b);
}
