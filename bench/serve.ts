import { spawn, type ChildProcess } from 'node:child_process';

/** Starts the compiled server (`npm run build` first) as its own process and waits until it is ready. */
export async function serve(env: Record<string, string>, port: number): Promise<ChildProcess & { stop(): Promise<void> }> {
  const server = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', INGEST: 'off', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let t = 0; ; t++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
    } catch {
      if (t > 300 || server.exitCode !== null) {
        server.kill('SIGTERM');
        throw new Error('server did not start');
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return Object.assign(server, {
    async stop() {
      server.kill('SIGTERM');
      if (server.exitCode === null) await new Promise((r) => server.once('exit', r));
    },
  });
}
