import express, { type NextFunction, type Request, type Response } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import type { Config } from './config/config.js';
import type { Database } from './db/database.js';
import type { Definitions } from './fhir/definitions.js';
import { clientError, FhirError } from './fhir/outcome.js';
import type { Validator } from './fhir/validator.js';
import type { Logger } from './logger.js';
import { dispatch } from './http/dispatch.js';
import type { FhirRequest, FhirResponse, HandlerContext } from './http/fhir-request.js';
import { checkFormat, parseBody } from './http/fhir-body.js';
import { Repository, type RepositoryDeps } from './repository/repository.js';
import { StoredVersion } from './repository/stored.js';
import { defaultTenant } from './tenant.js';

export interface AppDeps {
  config: Config;
  db: Database;
  defs: Definitions;
  validator: Validator;
  repoDeps: RepositoryDeps;
  log: Logger;
  capabilityStatement: Resource;
  /** Set while shutting down, so /readyz turns away new traffic. */
  isStopping?: () => boolean;
  /** False until every part has started (HTTP listens first), so /readyz waits for all of them. */
  isStarted?: () => boolean;
  /** Prometheus text for /metrics (the ingest counters), once the parts that count have started. */
  metrics?: () => string;
}

const fhirJson = 'application/fhir+json; charset=utf-8';

export function buildApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = (deps.isStarted?.() ?? true) && !deps.isStopping?.() && (await deps.db.ping());
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable' });
  });

  app.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(deps.metrics?.() ?? '');
  });

  app.use(
    '/fhir',
    express.text({ type: () => true, limit: deps.config.maxBodyBytes, defaultCharset: 'utf-8' }),
    async (req: Request, res: Response) => {
      const started = process.hrtime.bigint();
      let status = 500;
      try {
        const fhirRes = await handle(req, deps);
        status = fhirRes.status;
        send(res, fhirRes, req.query._pretty === 'true');
      } catch (err) {
        status = sendError(res, err, deps.log, req);
      } finally {
        deps.log.debug('request', {
          method: req.method,
          url: req.originalUrl,
          status,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        });
      }
    },
  );

  // Errors raised before the FHIR handler (body too large, bad encoding) land here.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; limit?: number };
    if (e?.type === 'entity.too.large') {
      sendError(res, new FhirError('too-long', `The body exceeds the limit of ${e.limit} bytes`, { status: 413 }), deps.log, req);
    } else if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
      sendError(res, new FhirError('not-supported', 'Unsupported content encoding or charset', { status: 415 }), deps.log, req);
    } else if (e?.status && e.status >= 400 && e.status < 500) {
      sendError(res, new FhirError('invalid', 'The request could not be read', { status: e.status }), deps.log, req);
    } else {
      sendError(res, err, deps.log, req);
    }
  });
  app.use((req, res) => {
    sendError(res, new FhirError('not-found', `Nothing at ${req.path}`), deps.log, req);
  });
  return app;
}

async function handle(req: Request, deps: AppDeps): Promise<FhirResponse> {
  const rawQuery = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
  const query = new URLSearchParams(rawQuery);
  checkFormat(req, query.get('_format'));
  query.delete('_format');
  query.delete('_pretty');
  const { body, contentType } = parseBody(req, typeof req.body === 'string' ? req.body : undefined);
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const fhirReq: FhirRequest = {
    method: req.method === 'HEAD' ? 'GET' : req.method,
    path: req.path.replace(/^\/+|\/+$/g, ''),
    params: {},
    query,
    body,
    contentType,
    headers: {
      ifMatch: header('if-match'),
      ifNoneMatch: header('if-none-match'),
      ifNoneExist: header('if-none-exist'),
      ifModifiedSince: header('if-modified-since'),
      prefer: header('prefer'),
    },
  };
  const ctx: HandlerContext = {
    repo: new Repository(deps.repoDeps, defaultTenant),
    defs: deps.defs,
    validator: deps.validator,
    baseUrl: deps.config.baseUrl,
    dispatch,
    capabilityStatement: () => deps.capabilityStatement,
  };
  return dispatch(fhirReq, ctx);
}

function send(res: Response, r: FhirResponse, pretty: boolean): void {
  res.status(r.status);
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  if (r.body === undefined || r.status === 304) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', fhirJson);
  if (r.body instanceof StoredVersion) {
    res.end(pretty ? JSON.stringify(r.body.resource, null, 2) : r.body.json);
  } else {
    res.end(JSON.stringify(r.body, null, pretty ? 2 : undefined));
  }
}

function sendError(res: Response, err: unknown, log: Logger, req: Request): number {
  let e = clientError(err);
  if (!e) {
    log.error('request failed', { method: req.method, url: req.originalUrl, error: (err as Error)?.message, stack: (err as Error)?.stack });
    e = new FhirError('exception', 'Internal server error');
  }
  if (res.headersSent) {
    res.end();
    return e.status;
  }
  res.status(e.status);
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', fhirJson);
  res.end(JSON.stringify(e.outcome));
  return e.status;
}
