import type { Bundle } from '@medplum/fhirtypes';
import type { StoredVersion } from '../repository/stored.js';
import { signatureHeaders } from './signature.js';
import type { SubscriptionTarget } from './subscription.js';

/**
 * Sends one plain R4 rest-hook notification. Without a payload the endpoint gets a POST with no
 * body; with one, the resource is sent as an update (PUT [endpoint]/[type]/[id]) in the
 * payload's format.
 */
export async function sendRestHook(target: SubscriptionTarget, current: StoredVersion | undefined, eventNumber: number, timeoutMs: number, now: Date): Promise<void> {
  const withResource = target.channel.payload !== undefined && current?.json;
  const url = withResource ? `${target.channel.endpoint.replace(/\/+$/, '')}/${current!.resourceType}/${current!.id}` : target.channel.endpoint;
  await send(target, withResource ? 'PUT' : 'POST', url, withResource ? current!.json! : '', eventNumber, timeoutMs, now);
}

/** Sends a notification Bundle of the backport IG (handshake, heartbeat, event) to the endpoint with POST. */
export async function sendNotificationBundle(target: SubscriptionTarget, bundle: Bundle, eventNumber: number, timeoutMs: number, now: Date): Promise<void> {
  await send(target, 'POST', target.channel.endpoint, JSON.stringify(bundle), eventNumber, timeoutMs, now);
}

/**
 * One request with the channel's headers, X-Serium-Subscription and -Event-Number, and the
 * signature headers when the Subscription has a secret. Resolves on a 2xx answer; throws
 * otherwise, or when the endpoint takes longer than timeoutMs (the caller retries).
 */
async function send(target: SubscriptionTarget, method: string, url: string, body: string, eventNumber: number, timeoutMs: number, now: Date): Promise<void> {
  const headers: Record<string, string> = { 'X-Serium-Event-Number': String(eventNumber), 'X-Serium-Subscription': target.id };
  for (const line of target.channel.headers) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  if (body) headers['Content-Type'] = target.channel.payload?.split(';')[0] === 'application/json' ? 'application/json' : 'application/fhir+json';
  if (target.secret) Object.assign(headers, signatureHeaders(target.secret, body, now));
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new Error(`${url} answered ${res.status}`);
}
