import type { OutgoingMessage } from './channel.js';

/**
 * Push and SMS through an HTTP gateway: one POST per message, JSON
 * `{ channel, to, subject, text, priority, reference }`, with `Authorization: Bearer <token>`
 * when a token is set. Any 2xx answer means the gateway took the message.
 */
export function gatewaySender(url: string, token: string | undefined, timeoutMs: number): (m: OutgoingMessage) => Promise<void> {
  return async (m) => {
    const body = { channel: m.kind, to: m.to, subject: m.subject, text: m.text, priority: m.urgent ? 'urgent' : 'routine', reference: m.reference };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((err: Error) => {
      throw new Error(`notification gateway unreachable: ${err.message}`);
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`notification gateway answered ${res.status}`);
  };
}
