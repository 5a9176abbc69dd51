/** A reference to a resource on this server, as written in a resource or a search value. */
export interface LocalReference {
  /** Absent for a bare id. */
  type?: string;
  id: string;
  /** Whether it names one version (Type/id/_history/v). */
  versioned: boolean;
}

const pattern = /^(?:([A-Z][A-Za-z]+)\/)?([A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/;

/**
 * "Type/id", "Type/id/_history/v" or a bare id, alone or under this server's base URL; undefined
 * for anything else (another server's URL, a canonical, a contained "#id").
 */
export function localReference(value: string, baseUrl: string): LocalReference | undefined {
  const local = value.startsWith(baseUrl + '/') ? value.slice(baseUrl.length + 1) : value;
  const m = pattern.exec(local);
  if (!m || (m[3] && !m[1])) return undefined;
  return { ...(m[1] ? { type: m[1] } : {}), id: m[2], versioned: !!m[3] };
}
