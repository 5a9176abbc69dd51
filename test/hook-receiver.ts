import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/**
 * A local HTTP endpoint for rest-hook notifications: records every request and answers with the
 * status `respond` gives (200 unless told otherwise), once its promise settles when it returns one,
 * or never when it returns 'hang'.
 */
export class HookReceiver {
  readonly received: Received[] = [];
  respond: (r: Received) => number | 'hang' | Promise<number> = () => 200;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: Date.now() };
        this.received.push(r);
        const status = this.respond(r);
        if (status === 'hang') return;
        void Promise.resolve(status).then((code) => {
          res.statusCode = code;
          res.end();
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
