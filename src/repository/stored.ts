import type { Resource } from '@medplum/fhirtypes';

/** One stored version of a resource; `json` is the exact text served. */
export class StoredVersion {
  private parsed?: Resource;

  constructor(
    readonly resourceType: string,
    readonly id: string,
    readonly versionId: number,
    readonly lastUpdated: string,
    readonly deleted: boolean,
    readonly json: string | null,
    readonly method: string = 'PUT',
  ) {}

  get resource(): Resource | undefined {
    if (this.json === null) return undefined;
    return (this.parsed ??= JSON.parse(this.json) as Resource);
  }

  get etag(): string {
    return `W/"${this.versionId}"`;
  }
}

/** The columns fromRecord reads, from resource_version aliased v. */
export const versionColumns = 'v.resource_type, v.id, v.version_id, v.last_updated, v.deleted, v.method, v.content';

/** Joins a resource row r to its current version v. */
export const currentVersionJoin =
  'JOIN resource_version v ON v.tenant = r.tenant AND v.resource_type = r.resource_type AND v.id = r.id AND v.version_id = r.version_id';

export interface VersionRecord {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  deleted: boolean;
  method: string;
  content: string | null;
}

export function fromRecord(r: VersionRecord): StoredVersion {
  return new StoredVersion(r.resource_type, r.id, r.version_id, r.last_updated.toISOString(), r.deleted, r.content, r.method);
}
