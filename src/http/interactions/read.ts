import type { Handler } from '../fhir-request.js';
import { versionHeaders } from '../respond.js';
import { parseVersionTag } from '../respond.js';

/** GET [type]/[id], honouring If-None-Match and If-Modified-Since with 304. */
export const read: Handler = async (req, ctx) => {
  const v = await ctx.repo.read(req.params.type, req.params.id);
  const headers = versionHeaders(v, ctx.baseUrl, false);
  if (req.headers.ifNoneMatch) {
    const tags = req.headers.ifNoneMatch.split(',').map((t) => t.trim());
    if (tags.includes('*') || tags.some((t) => safeVersion(t) === v.versionId)) return { status: 304, headers };
  } else if (req.headers.ifModifiedSince) {
    const since = Date.parse(req.headers.ifModifiedSince);
    // HTTP dates have second precision; compare at that precision.
    if (!Number.isNaN(since) && Math.floor(Date.parse(v.lastUpdated) / 1000) * 1000 <= since) return { status: 304, headers };
  }
  return { status: 200, headers, body: v };
};

function safeVersion(tag: string): number | undefined {
  try {
    return parseVersionTag(tag, 'If-None-Match');
  } catch {
    return undefined;
  }
}
