import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';

export const websocketPath = '/ws';

/**
 * The websocket channel (Subscriptions backport IG): clients connect to /ws and send
 * "bind-with-token <token>" with a token from $get-ws-binding-token; the sockets are then bound to
 * that token's Subscriptions, each told so with a handshake, and get their notifications and
 * heartbeats. There are no acknowledgements on this channel: a client that was away recovers
 * what it missed with $events, from the event numbers.
 */
export class WebSocketHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly bound = new Map<string, Set<WebSocket>>();

  constructor(
    private readonly deps: { db: Database; log: Logger; onBound: (tenant: string, subscriptionId: string, socket: WebSocket) => Promise<void> },
  ) {}

  /** Takes over the HTTP server's upgrade requests for /ws. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== websocketPath) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
    });
  }

  /** Sends text to every socket bound to the Subscription; returns how many got it. */
  send(tenant: string, subscriptionId: string, text: string): number {
    let sent = 0;
    for (const ws of this.bound.get(`${tenant}/${subscriptionId}`) ?? []) {
      if (ws.readyState !== ws.OPEN) continue;
      ws.send(text);
      sent++;
    }
    return sent;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private connected(ws: WebSocket): void {
    const keys = new Set<string>();
    ws.on('message', (data) => {
      const text = data.toString();
      const token = /^bind-with-token\s+(\S+)$/.exec(text.trim())?.[1];
      if (!token) {
        ws.send(`error: expected "bind-with-token <token>"`);
        return;
      }
      this.bind(ws, token, keys).catch((err) => {
        this.deps.log.warn('websocket bind failed', { error: (err as Error).message });
        ws.send('error: the binding failed');
      });
    });
    ws.on('close', () => {
      for (const k of keys) this.bound.get(k)?.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  }

  private async bind(ws: WebSocket, token: string, keys: Set<string>): Promise<void> {
    const { rows } = await this.deps.db.query<{ tenant: string; subscription_ids: string[] }>(
      'SELECT tenant, subscription_ids FROM subscription_ws_token WHERE token = $1 AND expires_at > clock_timestamp()',
      [token],
    );
    if (!rows.length) {
      ws.send('error: unknown or expired token');
      return;
    }
    for (const id of rows[0].subscription_ids) {
      const key = `${rows[0].tenant}/${id}`;
      keys.add(key);
      this.bound.set(key, (this.bound.get(key) ?? new Set()).add(ws));
      await this.deps.onBound(rows[0].tenant, id, ws);
    }
  }
}
