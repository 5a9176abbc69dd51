import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';

/**
 * A Mosquitto of one's own, on a given port, configured as Serium needs it in production:
 * sessions and queued messages saved across restarts, and no cap on the messages queued for a
 * subscriber (the default of 1000 drops readings when Serium is down or behind).
 */
export class PrivateBroker {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'serium-broker-'));

  constructor(readonly port: number) {
    // Mosquitto started as root drops to its own user, which must be able to save its state here
    chmodSync(this.dir, 0o777);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', () => reject(new Error(`port ${this.port} is in use: a broker left running?`)));
      probe.listen(this.port, '127.0.0.1', () => probe.close(() => resolve()));
    });
    const conf = join(this.dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [`listener ${this.port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${this.dir}/`, 'max_queued_messages 0', 'max_queued_bytes 0', ''].join('\n'),
    );
    const child = spawn(process.env.MOSQUITTO_BIN || 'mosquitto', ['-c', conf], { stdio: 'ignore' });
    this.child = child;
    const until = Date.now() + 10_000;
    for (;;) {
      // a broker that exited (its port taken by another) must not let the caller talk to whatever holds the port
      if (child.exitCode !== null) throw new Error(`mosquitto exited with code ${child.exitCode}: is port ${this.port} in use?`);
      try {
        const c = await mqtt.connectAsync(this.url, { reconnectPeriod: 0, connectTimeout: 500 });
        await c.endAsync();
        return;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** SIGTERM: Mosquitto saves its state and exits. */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    c.kill('SIGTERM');
    await new Promise((r) => c.once('exit', r));
  }

  async remove(): Promise<void> {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
