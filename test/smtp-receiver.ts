import { SMTPServer } from 'smtp-server';
import { freePort } from './harness.js';

export interface Mail {
  to: string[];
  raw: string;
  /** Headers and text with quoted-printable soft breaks and escapes undone, for matching. */
  text: string;
}

/** A real SMTP server on a local port that keeps every message it receives. */
export class SmtpReceiver {
  readonly mail: Mail[] = [];
  private server: SMTPServer | undefined;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData: (stream, session, done) => {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString()));
        stream.on('end', () => {
          const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
          this.mail.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, text });
          done();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
