import { randomBytes } from 'node:crypto';
import type { Subscription } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/outcome.js';
import type { Handler } from '../http/fhir-request.js';
import { websocketPath } from '../subscriptions/websocket-hub.js';

/** How long a binding token can be used to connect. */
const tokenLifetimeMs = 3600_000;

/**
 * GET|POST Subscription/[id]/$get-ws-binding-token (Subscriptions backport IG): a token, its
 * expiration and the websocket URL, for a Subscription whose channel is websocket. The client
 * connects there and sends "bind-with-token <token>".
 */
export const subscriptionWsToken: Handler = async (req, ctx) => {
  const { id } = req.params;
  const s = (await ctx.repo.read('Subscription', id)).resource as Subscription;
  if (s.channel?.type !== 'websocket') throw new FhirError('business-rule', `Subscription/${id} does not use the websocket channel`, { status: 422 });
  const token = randomBytes(24).toString('base64url');
  const expiration = new Date(Date.now() + tokenLifetimeMs);
  await ctx.repo.queryable.query('INSERT INTO subscription_ws_token (token, tenant, subscription_ids, expires_at) VALUES ($1, $2, $3, $4)', [
    token,
    ctx.repo.tenant,
    [id],
    expiration.toISOString(),
  ]);
  const url = new URL(ctx.baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = websocketPath;
  return {
    status: 200,
    body: {
      resourceType: 'Parameters',
      parameter: [
        { name: 'token', valueString: token },
        { name: 'expiration', valueDateTime: expiration.toISOString() },
        { name: 'subscription', valueString: id },
        { name: 'websocket-url', valueUrl: url.toString() },
      ],
    },
  };
};
