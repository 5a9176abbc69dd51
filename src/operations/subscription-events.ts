import type { Subscription } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import type { Handler } from '../http/fhir-request.js';
import { notificationBundle, type PayloadContent } from '../subscriptions/notification-bundle.js';
import { eventsSinceStart, recordedEvents } from '../subscriptions/subscription-events.js';
import { operationParams } from './operation-params.js';

/**
 * GET|POST Subscription/[id]/$events (Subscriptions backport IG): the Subscription's recorded
 * events eventsSinceNumber..eventsUntilNumber (default: all) as a notification Bundle of type
 * query-event, with the content asked (default id-only), so a client that saw a gap in the event
 * numbers can fetch what it missed.
 */
export const subscriptionEventsOperation: Handler = async (req, ctx) => {
  const { id } = req.params;
  const s = (await ctx.repo.read('Subscription', id)).resource as Subscription;
  const params = operationParams(req);
  const number = (name: string) => {
    const raw = params.get(name);
    if (raw === null) return undefined;
    if (!/^\d{1,15}$/.test(raw)) throw badRequest(`${name} must be a non-negative integer`, [name]);
    return Number(raw);
  };
  const content = (params.get('content') ?? 'id-only') as PayloadContent;
  if (!['empty', 'id-only', 'full-resource'].includes(content)) throw badRequest('content must be empty, id-only or full-resource', ['content']);
  const total = await eventsSinceStart(ctx.repo, id);
  const from = number('eventsSinceNumber') ?? 1;
  const to = number('eventsUntilNumber') ?? total;
  const events = await recordedEvents(ctx.repo, id, from, to, content === 'full-resource');
  const body = notificationBundle({
    baseUrl: ctx.baseUrl,
    subscriptionId: id,
    topic: s.criteria ?? '',
    status: s.status ?? 'requested',
    type: 'query-event',
    eventsSinceStart: total,
    events,
    content,
  });
  return { status: 200, body };
};
