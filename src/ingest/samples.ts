import type { Queryable } from '../db/database.js';

/** One sample as staged in ingest_sample (migration 004). */
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

const columns = ['device_id', 'metric', 'window_start', 'slot', 'value', 'quality', 'patient_id', 'device_key', 'pseudonym', 'gateway_id', 'source_offset', 'due_at'];

/** Stages samples in one statement; a sample already staged (same device, metric, window and slot) is skipped. Returns how many were new. */
export async function stageSamples(q: Queryable, tenant: string, samples: StagedSample[]): Promise<number> {
  if (!samples.length) return 0;
  const arrays: unknown[][] = columns.map(() => []);
  for (const s of samples) {
    const row = [s.deviceId, s.metric, s.windowStart, s.slot, s.value, s.quality.length ? s.quality.join(',') : null, s.patientId, s.deviceKey, s.pseudonym, s.gatewayId ?? null, s.sourceOffset, s.dueAt];
    row.forEach((v, i) => arrays[i].push(v));
  }
  const { rowCount } = await q.query(
    `INSERT INTO ingest_sample (tenant, ${columns.join(', ')})
     SELECT $1, u.device_id, u.metric, u.window_start, u.slot, u.value, string_to_array(u.quality, ','), u.patient_id, u.device_key, u.pseudonym, u.gateway_id, u.source_offset, u.due_at
       FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::numeric[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[])
         AS u(${columns.join(', ')})
     ON CONFLICT DO NOTHING`,
    [tenant, ...arrays],
    { prepare: true },
  );
  return rowCount ?? 0;
}
