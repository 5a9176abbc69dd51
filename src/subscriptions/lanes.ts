import type { SubscriptionTarget } from './subscription.js';

/**
 * The sending lanes: the urgent bots' (the alert rules and the messages they send), the
 * endpoints outside (rest-hook, websocket, email) and the other bots'. A delivery stores its lane
 * as its priority, which the matcher sets and the deliverer claims by.
 */
export type Lane = 'urgent' | 'endpoints' | 'bots';
export const lanePriority: Record<Lane, number> = { urgent: 1, endpoints: 0, bots: -1 };

/** The lane of a Subscription's notifications. */
export function laneOf(s: SubscriptionTarget, urgentBots: ReadonlySet<string>): Lane {
  if (!s.channel.endpoint.startsWith('Bot/')) return 'endpoints';
  return urgentBots.has(s.channel.endpoint.slice(4)) ? 'urgent' : 'bots';
}
