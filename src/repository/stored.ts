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
