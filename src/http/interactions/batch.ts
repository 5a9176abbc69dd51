import type { Bundle, BundleEntry, BundleEntryResponse, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { badRequest, clientError, FhirError } from '../../fhir/outcome.js';
import type { Repository } from '../../repository/repository.js';
import { StoredVersion } from '../../repository/stored.js';
import { conditionalMatches, conditionalTargetId, conditionQuery, singleMatch } from '../conditional.js';
import type { FhirRequest, FhirResponse, Handler, HandlerContext } from '../fhir-request.js';
import { collectReferences, isPlaceholder, rewriteReferences } from '../transaction-refs.js';
import { returnPreference, writeResponse } from '../respond.js';

const reason: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed',
  422: 'Unprocessable Entity', 500: 'Internal Server Error',
};

/** Transaction processing order (R4 http.html#trules): DELETE, POST, PUT/PATCH, then GET/HEAD. */
const order: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

interface Entry {
  index: number;
  method: string;
  path: string;
  query: string;
  resource?: Resource;
  fullUrl?: string;
  headers: FhirRequest['headers'];
  /** For POST: the id to create with, or the existing resource its ifNoneExist matched. */
  newId?: string;
  existing?: StoredVersion;
}

/** POST [base] with a batch or transaction Bundle. */
export const batch: Handler = async (req, ctx) => {
  const bundle = req.body as Bundle | undefined;
  if (!bundle || bundle.resourceType !== 'Bundle') throw badRequest('POST to the base takes a batch or transaction Bundle', ['resourceType']);
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw badRequest(`Bundle.type must be batch or transaction, got "${bundle.type}"`, ['Bundle.type']);
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw badRequest('Bundle.entry must be an array', ['Bundle.entry']);
  const raw = bundle.entry ?? [];
  if (bundle.type === 'batch') {
    // A malformed batch entry fails alone, like any other batch entry.
    const parsed = raw.map((e, i) => {
      try {
        return parseEntry(e, i, ctx.baseUrl);
      } catch (err) {
        return err;
      }
    });
    return runBatch(parsed, req, ctx);
  }
  const entries = raw.map((e, i) => parseEntry(e, i, ctx.baseUrl));
  return ctx.repo.transaction((repo) => runTransaction(entries, req, { ...ctx, repo }));
};

const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

function parseEntry(e: BundleEntry, index: number, baseUrl: string): Entry {
  const where = `Bundle.entry[${index}]`;
  if (!e || typeof e !== 'object' || Array.isArray(e)) throw badRequest(`${where} must be an object`, [where]);
  const r = e.request;
  if (!r || typeof r !== 'object' || typeof r.method !== 'string' || typeof r.url !== 'string' || !r.url) {
    throw badRequest(`${where}.request needs a method and a url`, [`${where}.request`]);
  }
  if (!methods.has(r.method)) throw badRequest(`${where}.request.method "${r.method}" is not an HTTP verb FHIR defines`, [`${where}.request.method`]);
  if (e.resource !== undefined && (!e.resource || typeof e.resource !== 'object' || Array.isArray(e.resource))) {
    throw badRequest(`${where}.resource must be a resource`, [`${where}.resource`]);
  }
  for (const h of ['ifMatch', 'ifNoneMatch', 'ifNoneExist', 'ifModifiedSince'] as const) {
    if (r[h] !== undefined && typeof r[h] !== 'string') throw badRequest(`${where}.request.${h} must be a string`, [`${where}.request.${h}`]);
  }
  if (e.fullUrl !== undefined && typeof e.fullUrl !== 'string') throw badRequest(`${where}.fullUrl must be a string`, [`${where}.fullUrl`]);
  let url = r.url.startsWith(baseUrl + '/') ? r.url.slice(baseUrl.length + 1) : r.url.replace(/^\/+/, '');
  const q = url.indexOf('?');
  const query = q >= 0 ? url.slice(q + 1) : '';
  url = q >= 0 ? url.slice(0, q) : url;
  return {
    index,
    method: r.method,
    path: url,
    query,
    resource: e.resource,
    fullUrl: e.fullUrl,
    headers: { ifMatch: r.ifMatch, ifNoneMatch: r.ifNoneMatch, ifNoneExist: r.ifNoneExist, ifModifiedSince: r.ifModifiedSince },
  };
}

function isEntry(e: unknown): e is Entry {
  return !!e && typeof e === 'object' && 'method' in e && 'path' in e;
}

function toRequest(e: Entry, outer: FhirRequest): FhirRequest {
  if (e.method === 'POST' && e.path === '') throw badRequest(`Bundle.entry[${e.index}] cannot nest a batch or transaction`);
  let body: unknown = e.resource;
  let contentType: string | undefined;
  if (e.method === 'PATCH' && e.resource?.resourceType === 'Binary') {
    const bin = e.resource as { data?: unknown; contentType?: unknown };
    const where = `Bundle.entry[${e.index}].resource.data`;
    if (typeof bin.data !== 'string' || !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(bin.data)) {
      throw badRequest('A PATCH entry needs a Binary with base64 data holding a JSON Patch', [where]);
    }
    try {
      body = JSON.parse(Buffer.from(bin.data, 'base64').toString('utf8'));
    } catch {
      throw badRequest('The Binary data of a PATCH entry is not a base64-encoded JSON Patch', [where]);
    }
    contentType = typeof bin.contentType === 'string' ? bin.contentType : undefined;
  }
  return {
    method: e.method === 'HEAD' ? 'GET' : e.method,
    path: e.path,
    params: {},
    query: new URLSearchParams(e.query),
    body,
    contentType,
    headers: { ...e.headers, prefer: outer.headers.prefer },
  };
}

function responseEntry(res: FhirResponse, req: FhirRequest, ctx: HandlerContext): BundleEntry {
  const response: BundleEntryResponse = { status: `${res.status} ${reason[res.status] ?? ''}`.trim() };
  const h = res.headers ?? {};
  if (h.Location) response.location = h.Location.slice(ctx.baseUrl.length + 1);
  if (h.ETag) response.etag = h.ETag;
  if (res.body instanceof StoredVersion) response.lastModified = res.body.lastUpdated;
  else if (h['Last-Modified']) response.lastModified = new Date(h['Last-Modified']).toISOString();
  const entry: BundleEntry = { response };
  const body = res.body instanceof StoredVersion ? res.body.resource : res.body;
  // An OperationOutcome a write answers with (a DELETE's, or an error) is the entry's outcome, not a resource.
  if (body?.resourceType === 'OperationOutcome' && (res.status >= 300 || req.method !== 'GET')) response.outcome = body;
  else if (body) {
    if (res.body instanceof StoredVersion) entry.fullUrl = `${ctx.baseUrl}/${res.body.resourceType}/${res.body.id}`;
    if (body.resourceType === 'OperationOutcome' && returnPreference(req) === 'OperationOutcome') response.outcome = body;
    else entry.resource = body;
  }
  return entry;
}

function failureEntry(err: unknown): BundleEntry {
  const known = clientError(err);
  const status = known ? known.status : 500;
  const outcome: OperationOutcome = known
    ? known.outcome
    : { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'Internal error' }] };
  return { response: { status: `${status} ${reason[status] ?? ''}`.trim(), outcome } };
}

/** Batch: each entry on its own; one failing does not stop the others. */
async function runBatch(entries: (Entry | unknown)[], outer: FhirRequest, ctx: HandlerContext): Promise<FhirResponse> {
  const out: BundleEntry[] = [];
  for (const e of entries) {
    try {
      if (!isEntry(e)) throw e;
      const req = toRequest(e, outer);
      out.push(responseEntry(await ctx.dispatch(req, ctx), req, ctx));
    } catch (err) {
      out.push(failureEntry(err));
    }
  }
  return { status: 200, body: { resourceType: 'Bundle', type: 'batch-response', ...(out.length ? { entry: out } : {}) } };
}

/** Transaction: all entries in one database transaction; any failure undoes everything. */
async function runTransaction(entries: Entry[], outer: FhirRequest, ctx: HandlerContext): Promise<FhirResponse> {
  const repo = ctx.repo;
  const placeholders = new Map<string, string>();
  const fail = (e: Entry, err: unknown): never => {
    const known = clientError(err);
    if (!known) throw err;
    const issues = known.outcome.issue.map((i) => ({
      ...i,
      diagnostics: `Bundle.entry[${e.index}]: ${i.diagnostics ?? i.details?.text ?? ''}`,
      ...(i.expression ? { expression: i.expression.map((x) => inBundle(x, e)) } : {}),
    }));
    throw new FhirError('processing', issues[0].diagnostics, { status: known.status, issues, headers: known.headers });
  };
  const fullUrls = new Set<string>();
  for (const e of entries) {
    if (e.fullUrl && fullUrls.has(e.fullUrl)) fail(e, badRequest(`Duplicate fullUrl ${e.fullUrl}`));
    if (e.fullUrl) fullUrls.add(e.fullUrl);
  }

  // Deletes come first, so conditional creates and updates see their effect.
  const sorted = [...entries].sort((a, b) => (order[a.method] ?? 9) - (order[b.method] ?? 9) || a.index - b.index);
  const results = new Map<number, BundleEntry>();
  const run = async (e: Entry) => {
    try {
      const req = toRequest(e, outer);
      results.set(e.index, responseEntry(await ctx.dispatch(req, ctx), req, ctx));
    } catch (err) {
      fail(e, err);
    }
  };
  for (const e of sorted.filter((x) => x.method === 'DELETE')) await run(e);

  // Resolve the identity of every created or updated resource before any is written.
  for (const e of sorted) {
    try {
      if (e.method === 'POST') {
        const type = e.path;
        if (e.headers.ifNoneExist) {
          e.existing = await singleMatch(ctx, repo, type, conditionQuery(rewriteQuery(e.headers.ifNoneExist, placeholders)));
        }
        e.newId = e.existing?.id ?? repo.deps.newId();
        if (isPlaceholder(e.fullUrl)) placeholders.set(e.fullUrl, `${type}/${e.newId}`);
      } else if (e.method === 'PUT' && !e.path.includes('/') && e.query) {
        const match = await singleMatch(ctx, repo, e.path, conditionQuery(rewriteQuery(e.query, placeholders)));
        const id = await conditionalTargetId(repo, e.path, match, e.resource);
        e.path = `${e.path}/${id}`;
        e.query = '';
        if (e.resource) e.resource = { ...e.resource, id };
        if (isPlaceholder(e.fullUrl)) placeholders.set(e.fullUrl, e.path);
      } else if (e.method === 'PUT' && isPlaceholder(e.fullUrl)) {
        placeholders.set(e.fullUrl, e.path);
      }
    } catch (err) {
      fail(e, err);
    }
  }

  // No two writes may act on the same resource (R4 http.html#trules).
  const targets = new Map<string, number>();
  for (const e of sorted) {
    let target: string | undefined;
    if (e.method === 'POST' && !e.existing) target = `${e.path}/${e.newId}`;
    else if ((e.method === 'PUT' || e.method === 'PATCH' || e.method === 'DELETE') && !e.query) target = e.path;
    if (!target) continue;
    const other = targets.get(target);
    if (other !== undefined) fail(e, badRequest(`Bundle.entry[${other}] and Bundle.entry[${e.index}] both change ${target}`, [`Bundle.entry[${e.index}].request.url`]));
    targets.set(target, e.index);
  }

  // Rewrite placeholders and conditional references in every resource.
  for (const e of sorted) {
    if (!e.resource) continue;
    try {
      const map = new Map(placeholders);
      for (const ref of collectReferences(e.resource)) {
        if (isPlaceholder(ref) && !map.has(ref)) {
          throw badRequest(`Reference ${ref} does not match any fullUrl in the transaction`);
        }
        if (/^[A-Z][A-Za-z]+\?/.test(ref) && !map.has(ref)) map.set(ref, await resolveConditionalReference(ref, ctx, repo));
      }
      e.resource = rewriteReferences(e.resource, map);
    } catch (err) {
      fail(e, err);
    }
  }

  for (const e of sorted.filter((x) => x.method === 'POST')) {
    try {
      const req = toRequest(e, outer);
      const res = e.existing
        ? writeResponse(req, 200, e.existing, ctx.baseUrl, `${e.path}/${e.existing.id} already exists`)
        : await createWithId(repo, e, req, ctx);
      results.set(e.index, responseEntry(res, req, ctx));
    } catch (err) {
      fail(e, err);
    }
  }
  for (const e of sorted.filter((x) => order[x.method] === 2)) await run(e);
  for (const e of sorted.filter((x) => order[x.method] === 3)) await run(e);

  const out = entries.map((e) => results.get(e.index) as BundleEntry);
  // FHIR JSON has no empty arrays: an empty bundle answers with no entry at all.
  return { status: 200, body: { resourceType: 'Bundle', type: 'transaction-response', ...(out.length ? { entry: out } : {}) } };
}

/**
 * An entry's issue path, relative to the posted Bundle: "Observation.status" in entry 2 becomes
 * "Bundle.entry[2].resource.status". Paths already relative to the Bundle stay as they are.
 */
function inBundle(expression: string, e: Entry): string {
  if (expression.startsWith('Bundle.entry[')) return expression;
  const type = e.resource?.resourceType;
  if (!type || e.method === 'PATCH') return expression;
  if (expression === type) return `Bundle.entry[${e.index}].resource`;
  if (expression.startsWith(`${type}.`)) return `Bundle.entry[${e.index}].resource${expression.slice(type.length)}`;
  if (/^[a-z][A-Za-z0-9]*(\[\d+\])?(\.[a-z][A-Za-z0-9]*(\[\d+\])?)*$/.test(expression)) return `Bundle.entry[${e.index}].resource.${expression}`;
  return expression;
}

function rewriteQuery(query: string, placeholders: Map<string, string>): string {
  let q = query;
  for (const [from, to] of placeholders) q = q.split(encodeURIComponent(from)).join(to).split(from).join(to);
  return q;
}

async function resolveConditionalReference(ref: string, ctx: HandlerContext, repo: Repository): Promise<string> {
  const [type, query] = ref.split('?', 2);
  if (!ctx.defs.resourceTypes.has(type)) throw badRequest(`Conditional reference ${ref} names an unknown type`);
  const matches = await conditionalMatches(ctx, repo, type, conditionQuery(query));
  if (matches.length !== 1) {
    // None is a reference to nothing (400); several cannot be told apart (412, as for conditional writes).
    throw new FhirError(matches.length ? 'multiple-matches' : 'not-found', `Conditional reference ${ref} matched ${matches.length ? 'more than one' : 'no'} resource`, {
      status: matches.length ? 412 : 400,
    });
  }
  return `${type}/${matches[0].id}`;
}

async function createWithId(repo: Repository, e: Entry, req: FhirRequest, ctx: HandlerContext): Promise<FhirResponse> {
  if (!ctx.defs.resourceTypes.has(e.path)) throw new FhirError('not-supported', `Unknown resource type "${e.path}"`, { status: 404 });
  if (!e.resource || e.resource.resourceType !== e.path) {
    throw badRequest(`The resource type ${e.resource?.resourceType} does not match the url ${e.path}`, ['resourceType']);
  }
  const stored = await repo.createWithId(e.resource, e.newId as string);
  return writeResponse(req, 201, stored, ctx.baseUrl, `Created ${e.path}/${stored.id}`);
}
