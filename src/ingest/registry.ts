import type { Queryable } from '../db/database.js';
import { gatewayIdentifierSystem } from './devices.js';
import { Rejection } from './reading.js';

export const pseudonymSystem = 'urn:serium:pseudonym';

/** The FHIR ids a device topic resolves to. */
export interface Registration {
  patientId: string;
  deviceId: string;
}

interface Cached {
  value: Registration | Rejection;
  expires: number;
}

/** A device topic to resolve: its tenant, pseudonym and device identifier. */
export interface TopicKey {
  tenant: string;
  pseudonym: string;
  device: string;
}

interface Row {
  pseudonym: string;
  device: string;
  kind: string;
  id: string;
  patient_id: string | null;
}

/**
 * Resolves a topic's pseudonym and device identifier to the Patient and the Device linked to it,
 * from the search index, so a registration made over REST applies to the next message (gateway
 * Devices, which the ingest creates itself, are never the device of a topic). Answers
 * are kept for ttlMs (a re-linked device takes at most that long to be noticed); refusals for a
 * tenth of it, so a device registered just after its first refused message is not kept waiting.
 * What a batch of messages needs and is not remembered is looked up in one query per tenant.
 */
export class Registry {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly db: Queryable,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** For each key, the registration, or a Rejection saying why there is none. */
  async resolveAll(keys: TopicKey[]): Promise<(Registration | Rejection)[]> {
    const now = this.now();
    const missing = new Map<string, TopicKey>();
    // what the cache knows is taken now: clearing it below must not lose an answer
    const found = new Map<string, Registration | Rejection>();
    for (const k of keys) {
      const hit = this.cache.get(cacheKey(k));
      if (hit && hit.expires > now) found.set(cacheKey(k), hit.value);
      else missing.set(cacheKey(k), k);
    }
    const looked = new Map<string, Registration | Rejection>();
    for (const tenant of new Set([...missing.values()].map((k) => k.tenant))) {
      const wanted = [...missing.values()].filter((k) => k.tenant === tenant);
      const rows = new Map<string, Row[]>();
      for (const r of await this.lookup(tenant, wanted)) {
        const key = cacheKey({ tenant, pseudonym: r.pseudonym, device: r.device });
        rows.set(key, [...(rows.get(key) ?? []), r]);
      }
      for (const k of wanted) looked.set(cacheKey(k), decide(k, rows.get(cacheKey(k)) ?? []));
    }
    if (this.cache.size + looked.size > 100_000) this.cache.clear();
    for (const [key, value] of looked) {
      this.cache.set(key, { value, expires: now + (value instanceof Rejection ? Math.ceil(this.ttlMs / 10) : this.ttlMs) });
      found.set(key, value);
    }
    return keys.map((k) => found.get(cacheKey(k))!);
  }

  private async lookup(tenant: string, keys: TopicKey[]): Promise<Row[]> {
    const { rows } = await this.db.query<Row>(
      `WITH k AS (SELECT * FROM unnest($2::text[], $3::text[]) AS k(pseudonym, device))
       SELECT k.pseudonym, k.device, 'patient' AS kind, t.id, NULL AS patient_id
         FROM k JOIN search_token t
           ON t.tenant = $1 AND t.resource_type = 'Patient' AND t.param = 'identifier' AND t.system = $4 AND t.code = k.pseudonym
       UNION ALL
       SELECT k.pseudonym, k.device, 'device', t.id, r.target_id
         FROM k JOIN search_token t
           ON t.tenant = $1 AND t.resource_type = 'Device' AND t.param = 'identifier' AND t.code = k.device AND t.system IS DISTINCT FROM $5
         LEFT JOIN search_reference r
           ON r.tenant = t.tenant AND r.resource_type = 'Device' AND r.id = t.id AND r.param = 'patient' AND r.target_type = 'Patient'`,
      [tenant, keys.map((k) => k.pseudonym), keys.map((k) => k.device), pseudonymSystem, gatewayIdentifierSystem],
      { prepare: true },
    );
    return rows;
  }
}

const cacheKey = (k: TopicKey) => `${k.tenant}\u0000${k.pseudonym}\u0000${k.device}`;

/** What the index rows of one topic say: its Patient and Device, or why there is none. */
function decide({ pseudonym, device }: TopicKey, rows: Row[]): Registration | Rejection {
  const patients = [...new Set(rows.filter((r) => r.kind === 'patient').map((r) => r.id))];
  const devices = rows.filter((r) => r.kind === 'device');
  if (patients.length === 0) return new Rejection('unknown-patient', `No Patient has identifier ${pseudonymSystem}|${pseudonym}`);
  if (patients.length > 1) return new Rejection('unknown-patient', `Several Patients have identifier ${pseudonymSystem}|${pseudonym}`);
  const patientId = patients[0];
  if (devices.length === 0) return new Rejection('unknown-device', `No Device has identifier ${device}`);
  const mine = [...new Set(devices.filter((d) => d.patient_id === patientId).map((d) => d.id))];
  if (mine.length === 1) return { patientId, deviceId: mine[0] };
  if (mine.length > 1) return new Rejection('unknown-device', `Several Devices of this patient have identifier ${device}`);
  return new Rejection('wrong-patient', `Device ${device} is not linked to the patient of this topic`);
}
