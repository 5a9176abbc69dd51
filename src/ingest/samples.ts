import type { Queryable } from '../db/database.js';

/** One sample as staged in ingest_sample (migration 004), its window in ingest_window (009, 010). */
export interface StagedSample {
  deviceId: string;
  metric: string;
  /** ISO instant of the window start. */
  windowStart: string;
  slot: number;
  value: number | null;
  quality: string[];
  patientId: string;
  deviceKey: string;
  pseudonym: string;
  gatewayId: string | undefined;
  sourceOffset: string;
  /** ISO instant after which the window may be packed. */
  dueAt: string;
}

const columns = ['device_id', 'metric', 'window_start', 'slot', 'value', 'quality', 'patient_id', 'device_key', 'pseudonym', 'gateway_id', 'source_offset'];

/**
 * Stages samples in one statement; a sample already staged (same device, metric, window and slot)
 * is skipped. Each window of the new samples gets a row of this batch's own in ingest_window,
 * committed with the samples, so the packer finds them whenever they commit; a window being
 * packed meanwhile is not waited for. Returns how many samples were new.
 */
export async function stageSamples(q: Queryable, tenant: string, samples: StagedSample[]): Promise<number> {
  if (!samples.length) return 0;
  const arrays: unknown[][] = columns.map(() => []);
  const windows = new Map<string, StagedSample>();
  for (const s of samples) {
    const row = [s.deviceId, s.metric, s.windowStart, s.slot, s.value, s.quality.length ? s.quality.join(',') : null, s.patientId, s.deviceKey, s.pseudonym, s.gatewayId ?? null, s.sourceOffset];
    row.forEach((v, i) => arrays[i].push(v));
    windows.set(`${s.deviceId} ${s.metric} ${s.windowStart}`, s);
  }
  const w = [...windows.values()];
  const { rows } = await q.query<{ n: number }>(
    `WITH staged AS (
       INSERT INTO ingest_sample (tenant, ${columns.join(', ')})
       SELECT $1, u.device_id, u.metric, u.window_start, u.slot, u.value, string_to_array(u.quality, ','), u.patient_id, u.device_key, u.pseudonym, u.gateway_id, u.source_offset
         FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::numeric[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
           AS u(${columns.join(', ')})
       ON CONFLICT DO NOTHING
       RETURNING device_id, metric, window_start
     ), windows AS (
       INSERT INTO ingest_window (tenant, device_id, metric, window_start, due_at)
       SELECT $1, w.device_id, w.metric, w.window_start, w.due_at
         FROM unnest($13::text[], $14::text[], $15::timestamptz[], $16::timestamptz[]) AS w(device_id, metric, window_start, due_at)
        WHERE EXISTS (SELECT 1 FROM staged s WHERE s.device_id = w.device_id AND s.metric = w.metric AND s.window_start = w.window_start)
     )
     SELECT count(*)::int AS n FROM staged`,
    [tenant, ...arrays, w.map((s) => s.deviceId), w.map((s) => s.metric), w.map((s) => s.windowStart), w.map((s) => s.dueAt)],
    { prepare: true },
  );
  return rows[0].n;
}
