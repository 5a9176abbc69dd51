import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Device } from '@medplum/fhirtypes';
import type { Repository } from '../repository/repository.js';
import type { SearchContext } from '../search/search.js';
import type { Notifier } from '../notify/channel.js';
import type { Bot, BotInput } from './bot.js';
import { botContext, botDeviceId } from './bot-context.js';

/** bots/ beside src/ (the compiled bots beside the compiled src in dist/). */
export const botsDir = fileURLToPath(new URL('../../bots/', import.meta.url));

/** Every bot in the folder: each file exports `bot`. A file without one, or two bots with one id, stop the start. */
export async function loadBots(dir = botsDir): Promise<Map<string, Bot>> {
  const bots = new Map<string, Bot>();
  const files = readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(`${dir}/${file}`).href)) as { bot?: Bot };
    const bot = mod.bot;
    if (!bot || typeof bot.handle !== 'function' || !/^[a-z0-9-]{1,50}$/.test(bot.id ?? '')) throw new Error(`bots/${file} must export a bot with an id of a-z, 0-9 and -`);
    if (bots.has(bot.id)) throw new Error(`two bots have the id ${bot.id}`);
    bots.set(bot.id, bot);
  }
  return bots;
}

/** Each bot acts as a Device of its own (the author of what it writes); made at start if missing. */
export async function ensureBotDevices(repo: Repository, bots: Map<string, Bot>): Promise<void> {
  for (const bot of bots.values()) {
    const id = botDeviceId(bot);
    if (await repo.current('Device', id)) continue;
    const device: Device = { resourceType: 'Device', status: 'active', deviceName: [{ name: bot.title, type: 'user-friendly-name' }], type: { text: 'Serium bot' } };
    await repo.update(device, id);
  }
}

/**
 * Runs a bot on one input within its time limit; throws when it fails or overruns (the caller
 * retries). An overrun run's transaction is rolled back when the bot returns, so nothing it wrote
 * is kept: its retry starts from the same state.
 */
export async function runBot(bot: Bot, input: BotInput, repo: Repository, searchContext: SearchContext, notifier: Notifier): Promise<void> {
  const limit = bot.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let overran = false;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      overran = true;
      reject(new Error(`bot ${bot.id} took longer than ${limit} ms`));
    }, limit);
  });
  const work = repo.transaction(async (tx) => {
    await bot.handle(input, botContext(bot, tx, { ...searchContext, q: tx.queryable }, notifier));
    if (overran) throw new Error(`bot ${bot.id} finished after its time limit of ${limit} ms: its writes are rolled back`);
  });
  // once overrun, the run's own outcome is no longer awaited
  work.catch(() => undefined);
  try {
    await Promise.race([work, overrun]);
  } finally {
    clearTimeout(timer);
  }
}
