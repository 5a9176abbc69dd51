import type { Device, Flag } from '@medplum/fhirtypes';
import type { Config } from '../config/config.js';
import type { Queryable } from '../db/database.js';
import { FhirError } from '../fhir/outcome.js';
import type { Logger } from '../logger.js';
import { PollLoop } from '../poll-loop.js';
import { Repository, type RepositoryDeps } from '../repository/repository.js';
import type { StoredVersion } from '../repository/stored.js';
import type { SearchContext } from '../search/search.js';
import { defaultTenant } from '../tenant.js';
import { watchBattery } from './device-battery.js';
import { readingAfter } from './device-last-heard.js';
import { batteryOf, isWatched, lastReportOf, patientOf } from './device-facts.js';
import { conditionOf, flaggedDevice, resolveFlag } from './device-flag.js';
import { find, findAll, watchDeviceId, watchIdentity, type DeviceTurn, type DeviceWatchSettings } from './device-round.js';
import { watchSilence } from './device-silence.js';

export interface DeviceWatchDeps {
  repoDeps: RepositoryDeps;
  searchContext: (q: Queryable, tenant: string) => SearchContext;
  log: Logger;
  tenants: readonly string[];
  settings: DeviceWatchSettings;
}

/**
 * Looks after the devices given to patients: one that stops reporting, or whose battery runs low,
 * gets a Flag and a reminder to its patient, and a device silent for longer a message to the care
 * team (device-silence.ts, device-battery.ts). Each device is handled in a transaction of its own
 * under a PostgreSQL advisory lock, so replicas running the watch at once take turns instead of
 * writing twice; the ids of Flags and messages are derived from the episode as well, so a round
 * run again finds what it wrote.
 */
export class DeviceWatch {
  private stopping = false;

  constructor(private readonly deps: DeviceWatchDeps) {}

  /** One round over every tenant; returns 0, as the next round waits for the interval. */
  async roundOnce(): Promise<number> {
    for (const tenant of this.deps.tenants) await this.tenantRound(tenant);
    return 0;
  }

  /** Ends the round under way after the device being looked at: the next round starts over, so nothing is missed. */
  stop(): void {
    this.stopping = true;
  }

  private async tenantRound(tenant: string): Promise<void> {
    const { repoDeps, settings } = this.deps;
    const ctx = this.deps.searchContext(repoDeps.db, tenant);
    const now = repoDeps.clock();
    const devices = (await findAll<Device>(ctx, 'Device', { status: 'active', 'patient:missing': 'false' })).filter(isWatched);
    // Flag has no status search parameter in R4: an open period reaches past now, a closed one ended before
    const flags = await findAll<Flag>(ctx, 'Flag', { author: watchIdentity.reference!, date: `ge${now.toISOString()}` });
    const flagged = new Map<string, string[]>();
    for (const f of flags) {
      const deviceId = flaggedDevice(f);
      if (f.status === 'active' && conditionOf(f) && deviceId && f.id) flagged.set(deviceId, [...(flagged.get(deviceId) ?? []), f.id]);
    }
    const since = new Date(now.getTime() - settings.silentAfterMs).toISOString();
    const seen = new Set<string>();
    for (const device of devices) {
      if (this.stopping) return;
      const id = device.id!;
      seen.add(id);
      const battery = batteryOf(device);
      const reported = lastReportOf(device);
      const low = battery !== undefined && battery <= settings.batteryLowPercent;
      // a device that reported lately, with a good battery and no open episode, needs no closer look:
      // the Device's last report says so without a query; else (the ingest writes it only when the
      // device's details change) one index range of its readings since then, outside any transaction
      const quiet = !reported || reported <= since;
      if (flagged.has(id) || low || (quiet && !(await readingAfter(ctx, patientOf(device)!, id, since)))) await this.attend(tenant, id, flagged.get(id) ?? []);
    }
    // open episodes of devices no longer watched (made inactive, taken from the patient, deleted) end
    for (const [id, flagIds] of flagged) if (!seen.has(id)) await this.attend(tenant, id, flagIds);
  }

  /** Looks at one device in its own transaction, unless another replica is looking at it right now. */
  private async attend(tenant: string, deviceId: string, flagIds: string[]): Promise<void> {
    const { repoDeps, settings } = this.deps;
    try {
      await new Repository(repoDeps, tenant).transaction(async (repo) => {
        const { rows } = await repo.queryable.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked',
          [`device-watch/${tenant}/${deviceId}`],
        );
        if (!rows[0]?.locked) return;
        const turn: DeviceTurn = { repo, searchContext: this.deps.searchContext(repo.queryable, tenant), now: repoDeps.clock(), settings };
        const current = await repo.current('Device', deviceId);
        const device = current && !current.deleted ? (current.resource as Device & { id: string }) : undefined;
        const active = await activeFlags(turn, deviceId, device && patientOf(device), flagIds);
        if (!device || !isWatched(device)) {
          for (const stored of active) await resolveFlag(turn, stored);
          return;
        }
        await watchSilence(turn, device, active.filter((v) => conditionOf(v.resource as Flag) === 'device-silent'));
        await watchBattery(turn, device, active.filter((v) => conditionOf(v.resource as Flag) === 'device-battery-low'));
      });
    } catch (err) {
      // a device whose records the server refuses must not stop the round for the others; the database being away does
      if (!(err instanceof FhirError)) throw err;
      this.deps.log.warn('device watch skipped a device', { tenant, device: deviceId, error: err.message });
    }
  }
}

/**
 * The device's open episodes, read again under the lock: those the round's scan found, and the
 * patient's (a replica may have opened one since the scan).
 */
async function activeFlags(turn: DeviceTurn, deviceId: string, patient: string | undefined, known: string[]): Promise<StoredVersion[]> {
  const ids = new Set(known);
  if (patient) {
    const recent = await find<Flag>(turn.searchContext, 'Flag', { patient, author: watchIdentity.reference!, date: `ge${turn.now.toISOString()}`, _count: '1000' });
    for (const f of recent) if (flaggedDevice(f) === deviceId && f.id) ids.add(f.id);
  }
  const stored = await turn.repo.currentMany('Flag', [...ids]);
  return [...stored.values()].filter((v) => !v.deleted && (v.resource as Flag).status === 'active' && flaggedDevice(v.resource as Flag) === deviceId && conditionOf(v.resource as Flag));
}

export interface DeviceWatchService {
  stop(): Promise<void>;
}

/** Makes sure the watch's Device exists, then runs a round every deviceWatchIntervalMs. */
export async function startDeviceWatch(
  config: Config,
  repoDeps: RepositoryDeps,
  searchContext: (q: Queryable, tenant: string) => SearchContext,
  log: Logger,
): Promise<DeviceWatchService> {
  const tenants = [defaultTenant];
  for (const tenant of tenants) await ensureWatchDevice(new Repository(repoDeps, tenant));
  const watch = new DeviceWatch({
    repoDeps,
    searchContext,
    log,
    tenants,
    settings: { silentAfterMs: config.deviceSilentAfterMs, teamAfterMs: config.deviceSilentTeamAfterMs, batteryLowPercent: config.deviceBatteryLowPercent },
  });
  const loop = new PollLoop('device watch', () => watch.roundOnce(), log, config.deviceWatchIntervalMs);
  loop.start();
  return {
    stop: () => {
      watch.stop();
      return loop.stop();
    },
  };
}

async function ensureWatchDevice(repo: Repository): Promise<void> {
  if (await repo.current('Device', watchDeviceId)) return;
  const device: Device = { resourceType: 'Device', status: 'active', deviceName: [{ name: watchIdentity.display!, type: 'user-friendly-name' }], type: { text: 'Serium bot' } };
  await repo.update(device, watchDeviceId);
}
