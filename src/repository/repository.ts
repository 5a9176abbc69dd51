import type { Resource } from '@medplum/fhirtypes';
import type { Database, Queryable } from '../db/database.js';
import { FhirError, notFound } from '../fhir/outcome.js';
import type { Validator } from '../fhir/validator.js';
import type { Indexer } from '../search/index-values.js';
import { currentVersionJoin, fromRecord, StoredVersion, versionColumns, type VersionRecord } from './stored.js';
import { writeVersion } from './write-version.js';

export interface RepositoryDeps {
  db: Database;
  validator: Validator;
  indexer: Indexer;
  clock: () => Date;
  newId: () => string;
  /** Told of every stored version, to keep planner statistics current after bulk writes. */
  statistics?: { noteWrite(): void };
  /** Whether writes leave an event for subscriptions (resource_event); on unless said otherwise. */
  outbox?: boolean;
}

export const idPattern = /^[A-Za-z0-9\-.]{1,64}$/;

const selectVersion = `SELECT ${versionColumns} FROM resource_version v`;

/**
 * Create, read, update, delete and version reads for one tenant. Every write validates the
 * resource, then stores version, current row and search index in one statement.
 */
export class Repository {
  constructor(
    readonly deps: RepositoryDeps,
    readonly tenant: string,
    private readonly q: Queryable = deps.db,
    readonly inTransaction = false,
  ) {}

  /** Runs fn with a repository bound to one database transaction (reused if already inside one). */
  async transaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.deps.db.transaction((tx) => fn(new Repository(this.deps, this.tenant, tx, true)));
  }

  get queryable(): Queryable {
    return this.q;
  }

  /**
   * The current version (possibly a deletion), or undefined when the id was never used.
   * With lock (inside a transaction) the resource row stays locked until commit. The lock is
   * taken by its own statement: a locking join re-checked after a wait would pair the new
   * resource row with the version row of the old snapshot and find nothing.
   */
  async current(resourceType: string, id: string, lock = false): Promise<StoredVersion | undefined> {
    if (lock) {
      await this.q.query(
        `SELECT 1 FROM resource WHERE tenant = $1 AND resource_type = $2 AND id = $3 FOR UPDATE`,
        [this.tenant, resourceType, id],
        { prepare: true },
      );
    }
    const { rows } = await this.q.query<VersionRecord>(
      `SELECT ${versionColumns}
         FROM resource r ${currentVersionJoin}
        WHERE r.tenant = $1 AND r.resource_type = $2 AND r.id = $3`,
      [this.tenant, resourceType, id],
      { prepare: true },
    );
    return rows[0] ? fromRecord(rows[0]) : undefined;
  }

  /**
   * The current versions of several resources of one type, by id (absent ids are missing from
   * the map). With lock (inside a transaction) their rows stay locked until commit, taken in id
   * order so that two writers of overlapping sets cannot deadlock.
   */
  async currentMany(resourceType: string, ids: string[], lock = false): Promise<Map<string, StoredVersion>> {
    const sorted = [...new Set(ids)].sort();
    if (lock && sorted.length) {
      await this.q.query(
        `SELECT 1 FROM resource WHERE tenant = $1 AND resource_type = $2 AND id = ANY($3::text[]) ORDER BY id FOR UPDATE`,
        [this.tenant, resourceType, sorted],
        { prepare: true },
      );
    }
    const { rows } = sorted.length
      ? await this.q.query<VersionRecord>(
          `SELECT ${versionColumns}
             FROM resource r ${currentVersionJoin}
            WHERE r.tenant = $1 AND r.resource_type = $2 AND r.id = ANY($3::text[])`,
          [this.tenant, resourceType, sorted],
          { prepare: true },
        )
      : { rows: [] };
    return new Map(rows.map((r) => [r.id, fromRecord(r)]));
  }

  /** The current live version; 404 when unknown, 410 when deleted. lock as for current(). */
  async read(resourceType: string, id: string, lock = false): Promise<StoredVersion> {
    const found = await this.current(resourceType, id, lock);
    if (!found) throw notFound(`${resourceType}/${id}`);
    if (found.deleted) throw deletedError(found);
    return found;
  }

  async vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion> {
    if (!/^\d{1,15}$/.test(versionId)) throw notFound(`${resourceType}/${id}/_history/${versionId}`);
    const { rows } = await this.q.query<VersionRecord>(
      `${selectVersion} WHERE v.tenant = $1 AND v.resource_type = $2 AND v.id = $3 AND v.version_id = $4`,
      [this.tenant, resourceType, id, Number(versionId)],
      { prepare: true },
    );
    if (!rows[0]) throw notFound(`${resourceType}/${id}/_history/${versionId}`);
    const found = fromRecord(rows[0]);
    if (found.deleted) throw deletedError(found);
    return found;
  }

  /** Validates and stores a new resource with a server-assigned id. */
  async create(resource: Resource): Promise<StoredVersion> {
    return this.createWithId(resource, this.deps.newId());
  }

  /** Creates with an id chosen in advance (transactions resolve references before writing). */
  async createWithId(resource: Resource, id: string): Promise<StoredVersion> {
    return this.write(resource, id, 1, 'POST', false);
  }

  /**
   * Update, or create with the client's id when it does not exist (or was deleted).
   * ifMatch, when given, must equal the current version id.
   */
  async update(resource: Resource, id: string, ifMatch?: number, method: 'PUT' | 'PATCH' = 'PUT'): Promise<{ stored: StoredVersion; created: boolean }> {
    if (!idPattern.test(id)) throw new FhirError('invalid', `Invalid id "${id}"`, { expression: ['id'] });
    return this.contended(resource.resourceType, id, ifMatch, async (current, repo) => {
      const stored = await repo.write(resource, id, (current?.versionId ?? 0) + 1, method, current !== undefined);
      return { stored, created: !current || current.deleted };
    });
  }

  /**
   * Applies a patch to the current version and stores the result as the next one: 404 when
   * unknown, 410 when deleted, 412 when ifMatch is not the current version. A concurrent writer
   * makes the patch apply again, under a lock, to the version that writer left.
   */
  async patch(resourceType: string, id: string, ifMatch: number | undefined, apply: (current: Resource) => Resource): Promise<StoredVersion> {
    // Under the row lock from the start: a patch is read-modify-write, and patches of one
    // resource usually arrive together (several devices, several clinicians).
    return this.transaction((tx) => tx.contended(resourceType, id, undefined, async (current, repo) => {
      if (!current) throw notFound(`${resourceType}/${id}`);
      if (current.deleted) throw deletedError(current);
      if (ifMatch !== undefined && ifMatch !== current.versionId) throw staleVersion(resourceType, id, ifMatch);
      return repo.write(apply(current.resource as Resource), id, current.versionId + 1, 'PATCH', true);
    }));
  }

  /** Deletes (a new version marked deleted). Returns false when there was nothing to delete. */
  async delete(resourceType: string, id: string, ifMatch?: number): Promise<boolean> {
    return this.contended(resourceType, id, ifMatch, async (current, repo) => {
      if (!current || current.deleted) return false;
      await writeVersion(
        repo.q,
        {
          tenant: repo.tenant,
          resourceType,
          id,
          versionId: current.versionId + 1,
          lastUpdated: repo.deps.clock().toISOString(),
          deleted: true,
          method: 'DELETE',
          content: null,
        },
        null,
        true,
        repo.deps.outbox !== false,
      );
      repo.deps.statistics?.noteWrite();
      return true;
    });
  }

  /**
   * Runs a write of the next version after checking If-Match. Outside a transaction it first
   * tries without locks; when a concurrent writer took the version number, the client's
   * If-Match no longer holds (412), and without If-Match the write is redone in a transaction
   * that locks the resource row, so concurrent writers queue instead of failing. Inside a
   * transaction the row is locked from the start.
   */
  private async contended<T>(
    resourceType: string,
    id: string,
    ifMatch: number | undefined,
    write: (current: StoredVersion | undefined, repo: Repository) => Promise<T>,
  ): Promise<T> {
    const attempt = async (repo: Repository, lock: boolean) => {
      const current = await repo.current(resourceType, id, lock);
      if (ifMatch !== undefined && (!current || current.deleted || current.versionId !== ifMatch)) throw staleVersion(resourceType, id, ifMatch);
      return write(current, repo);
    };
    if (this.inTransaction) {
      try {
        return await attempt(this, true);
      } catch (err) {
        throw conflictFrom(err);
      }
    }
    for (let tries = 0; ; tries++) {
      try {
        return tries === 0 ? await attempt(this, false) : await this.transaction((tx) => attempt(tx, true));
      } catch (err) {
        // a lock-free writer and a locked one can each wait on the other's version: PostgreSQL
        // aborts one as a deadlock, which is retried like a lost race
        if (!isUniqueViolation(err) && (err as { code?: string })?.code !== '40P01') throw err;
        if (ifMatch !== undefined) throw staleVersion(resourceType, id, ifMatch);
        // only two first writes of a new id can still collide once locked: retry a few times
        if (tries >= 3) throw conflictFrom(err);
      }
    }
  }

  private async write(resource: Resource, id: string, versionId: number, method: 'POST' | 'PUT' | 'PATCH', existed: boolean): Promise<StoredVersion> {
    const lastUpdated = this.deps.clock().toISOString();
    const { resourceType, id: _ignored, meta, ...rest } = resource as Resource & Record<string, unknown>;
    const { versionId: _v, lastUpdated: _l, ...keptMeta } = meta ?? {};
    const final = { resourceType, id, meta: { ...keptMeta, versionId: String(versionId), lastUpdated }, ...rest } as Resource;
    this.deps.validator.assertValid(final);
    const json = JSON.stringify(final);
    const index = this.deps.indexer.rows(final as never);
    await writeVersion(
      this.q,
      { tenant: this.tenant, resourceType, id, versionId, lastUpdated, deleted: false, method, content: json },
      index,
      existed,
      this.deps.outbox !== false,
    );
    this.deps.statistics?.noteWrite();
    return new StoredVersion(resourceType, id, versionId, lastUpdated, false, json, method);
  }
}

function staleVersion(resourceType: string, id: string, ifMatch: number): FhirError {
  return new FhirError('conflict', `Version ${ifMatch} is not the current version of ${resourceType}/${id}`, { status: 412 });
}

function deletedError(v: StoredVersion): FhirError {
  return new FhirError('deleted', `${v.resourceType}/${v.id} was deleted`, {
    headers: { ETag: v.etag, 'Last-Modified': new Date(v.lastUpdated).toUTCString() },
  });
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}

function conflictFrom(err: unknown): unknown {
  if (isUniqueViolation(err)) return new FhirError('conflict', 'The resource was changed by another request at the same time; retry');
  return err;
}
