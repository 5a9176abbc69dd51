import { eventually, freePort } from './harness.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { databaseUrl, ensureTemplate, runPrefix, templateName, withAdmin } from './test-database.js';

/**
 * Serium as its own process, as `npm start` runs it, on a database of its own that outlives the
 * process: for tests that kill it with SIGKILL and start it again. Each start takes a fresh port
 * (another test may have taken the old one in the meantime), so read `baseUrl` after `start()`.
 */
export class SeriumProcess {
  readonly dbName = `${runPrefix}_${randomBytes(6).toString('hex')}`;
  private readonly children: ChildProcess[] = [];
  child: ChildProcess | undefined;

  port = 0;

  constructor(private readonly env: Record<string, string>) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/fhir`;
  }

  async createDatabase(): Promise<void> {
    await ensureTemplate();
    await withAdmin((c) => c.query(`CREATE DATABASE ${this.dbName} TEMPLATE ${templateName}`));
  }

  /** Starts the process on a free port and waits until /readyz answers; tries another port if it dies first. */
  async start(): Promise<ChildProcess> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      const env = { ...process.env, PORT: String(this.port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl(this.dbName), LOG_LEVEL: 'error', ...this.env };
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      this.children.push(child);
      this.child = child;
      const ready = await eventually(
        async () => {
          if (child.exitCode !== null || child.signalCode !== null) return 'exited';
          return (await fetch(`http://127.0.0.1:${this.port}/readyz`).catch(() => undefined))?.ok && 'ready';
        },
        60_000,
        200,
      );
      // the only reason a healthy start exits early is a port taken between freePort() and listen
      if (ready === 'ready' && child.exitCode === null) return child;
      if (attempt === 3) throw new Error(`Serium exited before it was ready (exit code ${child.exitCode})`);
    }
  }

  async kill(): Promise<void> {
    const child = this.child!;
    child.kill('SIGKILL');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  }

  /** Kills what is left and drops the database. */
  async remove(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`));
  }
}
