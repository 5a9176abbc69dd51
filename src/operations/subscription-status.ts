import type { Subscription } from '@medplum/fhirtypes';
import type { Handler } from '../http/fhir-request.js';
import { subscriptionStatus } from '../subscriptions/notification-bundle.js';
import { eventsSinceStart } from '../subscriptions/subscription-events.js';

/**
 * GET|POST Subscription/[id]/$status (Subscriptions backport IG): a searchset Bundle holding the
 * Subscription's status (a SubscriptionStatus Parameters resource of type query-status) with its
 * event count, and its error when it is in error.
 */
export const subscriptionStatusOperation: Handler = async (req, ctx) => {
  const { id } = req.params;
  const s = (await ctx.repo.read('Subscription', id)).resource as Subscription;
  const status = subscriptionStatus({
    baseUrl: ctx.baseUrl,
    subscriptionId: id,
    topic: s.criteria ?? '',
    status: s.status ?? 'requested',
    type: 'query-status',
    eventsSinceStart: await eventsSinceStart(ctx.repo, id),
    content: 'empty',
    ...(s.error ? { error: s.error } : {}),
  });
  return {
    status: 200,
    body: {
      resourceType: 'Bundle',
      type: 'searchset',
      total: 1,
      link: [{ relation: 'self', url: `${ctx.baseUrl}/Subscription/${id}/$status` }],
      entry: [{ fullUrl: `urn:uuid:${status.id}`, resource: status, search: { mode: 'match' } }],
    },
  };
};
