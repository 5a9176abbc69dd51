import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';

const ig = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const notificationProfile = `${ig}/backport-subscription-notification-r4`;
export const statusProfile = `${ig}/backport-subscription-status-r4`;

export type PayloadContent = 'empty' | 'id-only' | 'full-resource';
export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

/** One event of a notification: its number, when it happened, and the resource it is about. */
export interface NotificationEvent {
  number: number;
  timestamp: string;
  resourceType: string;
  id: string;
  action: string;
  /** The resource as it is now, for full-resource content (absent when deleted since). */
  resource?: Resource;
}

export interface NotificationArgs {
  baseUrl: string;
  subscriptionId: string;
  topic: string;
  status: string;
  type: NotificationType;
  eventsSinceStart: number;
  events: NotificationEvent[];
  content: PayloadContent;
  error?: string;
}

/**
 * A notification Bundle of the Subscriptions R5 Backport IG for R4: a history Bundle whose first
 * entry is the SubscriptionStatus (a Parameters resource), then, unless the content is empty, one
 * entry per event's focus: its full URL and the interaction (id-only), or the resource itself too
 * (full-resource). Every entry has a request and a response, as history Bundles need.
 */
export function notificationBundle(a: NotificationArgs): Bundle {
  const statusId = randomUUID();
  const entries: BundleEntry[] = [
    {
      fullUrl: `urn:uuid:${statusId}`,
      resource: subscriptionStatus(a, statusId),
      request: { method: 'GET', url: `${a.baseUrl}/Subscription/${a.subscriptionId}/$status` },
      response: { status: '200' },
    },
  ];
  if (a.content !== 'empty') {
    for (const e of a.events) {
      const entry: BundleEntry = {
        fullUrl: `${a.baseUrl}/${e.resourceType}/${e.id}`,
        request: e.action === 'create' ? { method: 'POST', url: e.resourceType } : { method: e.action === 'delete' ? 'DELETE' : 'PUT', url: `${e.resourceType}/${e.id}` },
        response: { status: e.action === 'create' ? '201' : e.action === 'delete' ? '204' : '200' },
      };
      if (a.content === 'full-resource' && e.resource) entry.resource = e.resource;
      entries.push(entry);
    }
  }
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { profile: [notificationProfile] },
    type: 'history',
    timestamp: new Date().toISOString(),
    entry: entries,
  };
}

/** The SubscriptionStatus Parameters of a notification, or alone for $status. */
export function subscriptionStatus(a: Omit<NotificationArgs, 'events'> & { events?: NotificationEvent[] }, id: string = randomUUID()): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'subscription', valueReference: { reference: `${a.baseUrl}/Subscription/${a.subscriptionId}` } },
    { name: 'topic', valueCanonical: a.topic },
    { name: 'status', valueCode: a.status },
    { name: 'type', valueCode: a.type },
    { name: 'events-since-subscription-start', valueString: String(a.eventsSinceStart) },
  ];
  for (const e of a.events ?? []) {
    const part: ParametersParameter[] = [
      { name: 'event-number', valueString: String(e.number) },
      { name: 'timestamp', valueInstant: e.timestamp },
    ];
    if (a.content !== 'empty') part.push({ name: 'focus', valueReference: { reference: `${a.baseUrl}/${e.resourceType}/${e.id}` } });
    parameter.push({ name: 'notification-event', part });
  }
  if (a.error) parameter.push({ name: 'error', valueCodeableConcept: { text: a.error } });
  return { resourceType: 'Parameters', id, meta: { profile: [statusProfile] }, parameter };
}
