import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { PollLoop } from '../poll-loop.js';
import { Repository, type RepositoryDeps } from '../repository/repository.js';
import type { IngestCounters } from './counters.js';
import { readingIdentifier, readingId, type ReadingKey } from './identity.js';
import { metricInfo } from './metric-info.js';
import { isRefusal } from './refusal.js';
import { isMetric, type Metric } from './reading.js';
import { sampledObservation, slotsOf, type Slots } from './sampled-observation.js';
import { packing, type Packing } from './windows.js';
import type { Observation } from '@medplum/fhirtypes';

/** Windows packed per transaction. */
const chunk = 100;

interface DueWindow {
  tenant: string;
  device_id: string;
  metric: string;
  window_start: Date;
}

interface SampleRow {
  slot: number;
  value: string | null;
  quality: string[] | null;
  patient_id: string;
  device_key: string;
  pseudonym: string;
  gateway_id: string | null;
  source_offset: string;
}

/** What one transaction did: windows it took (their rows deleted) and Observations it wrote. */
interface Round {
  claimed: number;
  written: number;
}

function addTo(total: Round, r: Round): void {
  total.claimed += r.claimed;
  total.written += r.written;
}

/**
 * Folds staged samples into one Observation per window once the window is due (its end plus
 * the pack delay), as ingest_window says (a row for each batch that staged samples in the
 * window). Samples are taken with DELETE ... RETURNING in the transaction that writes the
 * Observation, so a sample staged meanwhile stays, with its batch's row, for the next round, and
 * none is packed twice.
 * A window packed before gets a new version that merges the late samples with the earlier ones.
 * Replicas share the work: each window is claimed with a transaction-scoped advisory lock.
 */
export class Packer {
  private readonly loop: PollLoop;
  private stopped = false;

  constructor(
    private readonly deps: { db: Database; repoDeps: RepositoryDeps; log: Logger; counters: IngestCounters; clock: () => Date },
    intervalMs: number,
  ) {
    this.loop = new PollLoop('packing', () => this.packDue(), deps.log, intervalMs);
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
  }

  /** Packs every window due now, up to `limit` windows at a time, earliest due first; returns how many Observations were written. */
  async packDue(limit = 500): Promise<number> {
    let total = 0;
    for (;;) {
      // a window has a row per batch that staged in it (a minute of a watch relaying every ten
      // seconds: six), so the earliest rows are read and grouped into windows
      const { rows } = await this.deps.db.query<DueWindow>(
        `SELECT tenant, device_id, metric, window_start
           FROM (SELECT * FROM ingest_window WHERE due_at <= $1 ORDER BY due_at LIMIT $2 * 8) AS due
          GROUP BY tenant, device_id, metric, window_start ORDER BY min(due_at) LIMIT $2`,
        [this.deps.clock().toISOString(), limit],
      );
      if (!rows.length) return total;
      const byTenant = new Map<string, DueWindow[]>();
      for (const w of rows) byTenant.set(w.tenant, [...(byTenant.get(w.tenant) ?? []), w]);
      const round: Round = { claimed: 0, written: 0 };
      for (const [tenant, windows] of byTenant) {
        for (let i = 0; i < windows.length; i += chunk) addTo(round, await this.packChunk(tenant, windows.slice(i, i + chunk)));
      }
      this.deps.counters.windowsPacked += round.written;
      total += round.written;
      // none taken: the windows found are another replica's; the next round looks again
      if (!round.claimed || this.stopped) return total;
    }
  }

  /**
   * Packs windows of one tenant in one transaction. When that fails for a reason other than the
   * database being away, each window is tried alone, and one that still fails (its samples make
   * no valid Observation) is put aside for an hour and logged, so it cannot hold up the others.
   */
  private async packChunk(tenant: string, windows: DueWindow[]): Promise<Round> {
    const inTransaction = (ws: DueWindow[]) => this.deps.db.transaction((tx) => this.packWindows(new Repository(this.deps.repoDeps, tenant, tx, true), ws));
    try {
      return await inTransaction(windows);
    } catch (err) {
      if (!isRefusal(err)) throw err;
    }
    const round: Round = { claimed: 0, written: 0 };
    for (const w of windows) {
      try {
        addTo(round, await inTransaction([w]));
      } catch (err) {
        if (!isRefusal(err)) throw err;
        this.deps.log.error('window not packed; put aside for an hour', { device: w.device_id, metric: w.metric, window: w.window_start.toISOString(), error: (err as Error).message });
        await this.deps.db.query(
          `UPDATE ingest_window SET due_at = $5::timestamptz + interval '1 hour'
            WHERE tenant = $1 AND device_id = $2 AND metric = $3 AND window_start = $4`,
          [tenant, w.device_id, w.metric, w.window_start, this.deps.clock().toISOString()],
        );
        round.claimed++;
      }
    }
    return round;
  }

  /**
   * Packs some windows of one tenant in the caller's transaction: four statements, then one write
   * per Observation. The windows' rows go before their samples: a batch that commits in between
   * leaves a row the next round finds, whether this one took its samples or not.
   */
  private async packWindows(repo: Repository, due: DueWindow[]): Promise<Round> {
    const q = repo.queryable;
    const keyOf = (w: { device_id: string; metric: string; window_start: Date }) => `${repo.tenant}/${w.device_id}/${w.metric}/${w.window_start.toISOString()}`;
    // another replica packing a window holds its lock: leave that window to it
    const { rows: claimed } = await q.query<{ k: string }>(`SELECT k FROM unnest($1::text[]) AS k WHERE pg_try_advisory_xact_lock(hashtext(k))`, [due.map(keyOf)]);
    const mine = new Set(claimed.map((c) => c.k));
    const windows = due.filter((w) => mine.has(keyOf(w)));
    if (!windows.length) return { claimed: 0, written: 0 };
    const keys = [repo.tenant, windows.map((w) => w.device_id), windows.map((w) => w.metric), windows.map((w) => w.window_start)];
    await q.query(
      `DELETE FROM ingest_window w
        USING unnest($2::text[], $3::text[], $4::timestamptz[]) AS k(device_id, metric, window_start)
        WHERE w.tenant = $1 AND w.device_id = k.device_id AND w.metric = k.metric AND w.window_start = k.window_start`,
      keys,
    );
    const { rows } = await q.query<SampleRow & { device_id: string; metric: string; window_start: Date }>(
      `DELETE FROM ingest_sample s
        USING unnest($2::text[], $3::text[], $4::timestamptz[]) AS w(device_id, metric, window_start)
        WHERE s.tenant = $1 AND s.device_id = w.device_id AND s.metric = w.metric AND s.window_start = w.window_start
       RETURNING s.device_id, s.metric, s.window_start, s.slot, s.value, s.quality, s.patient_id, s.device_key, s.pseudonym, s.gateway_id, s.source_offset`,
      keys,
    );
    // one Observation per window and patient, named by the topic's device and pseudonym (a
    // device re-linked inside a window splits it; a Device re-registered under a new id does not)
    const plans = new Map<string, { group: typeof rows; keyParts: ReadingKey; p: Packing; metric: Metric }>();
    for (const r of rows) {
      const p = isMetric(r.metric) ? packing[r.metric] : undefined;
      if (!p || !isMetric(r.metric)) continue;
      const keyParts: ReadingKey = {
        tenant: repo.tenant,
        device: r.device_key,
        pseudonym: r.pseudonym,
        code: metricInfo[r.metric].code[0].code ?? '',
        start: r.window_start.toISOString(),
        durationMs: p.windowMs,
        supplemental: ['sampled'],
      };
      const id = readingId(keyParts);
      const plan = plans.get(id) ?? { group: [], keyParts, p, metric: r.metric };
      plan.group.push(r);
      plans.set(id, plan);
    }
    const current = await repo.currentMany('Observation', [...plans.keys()], true);
    let written = 0;
    for (const [id, { group, keyParts, p, metric }] of plans) {
      const stored = current.get(id);
      if (stored?.deleted) continue; // removed by a clinician: late samples do not bring it back
      const earlier = stored?.resource as Observation | undefined;
      const slots: Slots = earlier ? slotsOf(earlier) : new Map();
      let changed = !earlier;
      for (const r of group) {
        const had = slots.get(r.slot);
        if (had && (had.value !== null || r.value === null)) continue; // the first value sent wins
        if (!had && r.value === null && !r.quality?.length) continue; // an empty slot stays E
        slots.set(r.slot, { value: r.value === null ? null : Number(r.value), quality: r.quality ?? [] });
        changed = true;
      }
      if (!changed) continue;
      const first = group[0];
      const observation = sampledObservation({
        info: metricInfo[metric],
        packing: p,
        windowStart: first.window_start.getTime(),
        slots,
        identifier: readingIdentifier(keyParts),
        patientId: first.patient_id,
        deviceId: first.device_id,
        gatewayId: first.gateway_id ?? undefined,
        sourceOffset: first.source_offset,
      });
      if (earlier) await repo.update(observation, id);
      else await repo.createWithId(observation, id);
      written++;
    }
    return { claimed: windows.length, written };
  }
}
