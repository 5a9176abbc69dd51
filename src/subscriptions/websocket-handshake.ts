import type { Subscription } from '@medplum/fhirtypes';
import type { WebSocket } from 'ws';
import type { Repository } from '../repository/repository.js';
import { notificationBundle } from './notification-bundle.js';
import { eventsSinceStart, noteSent } from './subscription-events.js';
import { subscriptionTarget } from './subscription.js';
import type { Topic } from './topics.js';

/**
 * Tells a socket that was just bound to a Subscription so: a handshake Bundle for a topic-based
 * one (with the event count, so the client knows where it stands), "bound <id>" for a plain R4
 * one. Heartbeats count from here.
 */
export async function handshakeOnSocket(repo: Repository, id: string, ws: WebSocket, topics: ReadonlyMap<string, Topic>, baseUrl: string): Promise<void> {
  const stored = await repo.current('Subscription', id);
  const s = stored && !stored.deleted ? (stored.resource as Subscription & { id: string }) : undefined;
  if (!s) return;
  const target = subscriptionTarget(s, topics);
  if (typeof target === 'string' || !target.topic) {
    ws.send(`bound ${id}`);
  } else {
    const bundle = notificationBundle({
      baseUrl,
      subscriptionId: id,
      topic: target.topic.url,
      status: s.status ?? 'active',
      type: 'handshake',
      eventsSinceStart: await eventsSinceStart(repo, id),
      events: [],
      content: target.content,
    });
    ws.send(JSON.stringify(bundle));
  }
  await noteSent(repo.queryable, repo.tenant, id);
}
