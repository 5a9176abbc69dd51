import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The wrk scripts' folder. */
export const luaDir = join(dirname(fileURLToPath(import.meta.url)), 'wrk');

export interface Phase {
  name: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

const ms = (s: string) => {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[m[2]];
};

export function requireWrk(): void {
  if (spawnSync('wrk', ['--version']).error) {
    console.error('wrk is not installed: apt-get install wrk');
    process.exit(1);
  }
}

/** Drives one phase with wrk (two threads, or one for one connection) and reads its summary. */
export function wrk(name: string, script: string, url: string, opts: { connections: number; seconds: number; env?: Record<string, string> }): Phase {
  const out = execFileSync('wrk', [`-t${Math.min(2, opts.connections)}`, `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency', '-s', join(luaDir, script), url], {
    env: { ...process.env, BENCH_LUA_DIR: luaDir, ...opts.env },
    encoding: 'utf8',
  });
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors: .*?(\d+)/.exec(out)?.[1] ?? 0);
  return {
    name,
    requests,
    perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: ms(/ 50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99: ms(/ 99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    errors,
  };
}

export function phaseTable(phases: Phase[]): string {
  return [
    '| phase | requests | req/s | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|---:|',
    ...phases.map((p) => `| ${p.name} | ${p.requests} | ${Math.round(p.perSecond)} | ${p.p50.toFixed(2)} | ${p.p99.toFixed(2)} | ${p.errors} |`),
  ].join('\n');
}
