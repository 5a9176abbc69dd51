import { runCommand } from './command.js';
import { connectPublisher } from './publish.js';

/** npm run simulate: see --help, or command.ts. */
const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});
runCommand({
  argv: process.argv.slice(2),
  env: process.env,
  now: () => Date.now(),
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  fetch: globalThis.fetch,
  connect: connectPublisher,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
