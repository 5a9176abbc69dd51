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

/**
 * Resolves a topic's pseudonym and device identifier to the Patient and the Device linked to it,
 * from the search index, so a registration made over REST applies to the next message (gateway
 * Devices, which the ingest creates itself, are never the device of a topic). Answers
 * are kept for ttlMs (a re-linked device takes at most that long to be noticed); refusals for a
 * tenth of it, so a device registered just after its first refused message is not kept waiting.
 */
export class Registry {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly db: Queryable,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The registration, or a Rejection saying why there is none. */
  async resolve(tenant: string, pseudonym: string, device: string): Promise<Registration | Rejection> {
    const key = `${tenant}\u0000${pseudonym}\u0000${device}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    const value = await this.lookup(tenant, pseudonym, device);
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(key, { value, expires: this.now() + (value instanceof Rejection ? Math.ceil(this.ttlMs / 10) : this.ttlMs) });
    return value;
  }

  private async lookup(tenant: string, pseudonym: string, device: string): Promise<Registration | Rejection> {
    const { rows } = await this.db.query<{ kind: string; id: string; patient_id: string | null }>(
      `SELECT 'patient' AS kind, t.id, NULL AS patient_id
         FROM search_token t
        WHERE t.tenant = $1 AND t.resource_type = 'Patient' AND t.param = 'identifier' AND t.system = $2 AND t.code = $3
       UNION ALL
       SELECT 'device', t.id, r.target_id
         FROM search_token t
         LEFT JOIN search_reference r
           ON r.tenant = t.tenant AND r.resource_type = 'Device' AND r.id = t.id AND r.param = 'patient' AND r.target_type = 'Patient'
        WHERE t.tenant = $1 AND t.resource_type = 'Device' AND t.param = 'identifier' AND t.code = $4
          AND t.system IS DISTINCT FROM $5`,
      [tenant, pseudonymSystem, pseudonym, device, gatewayIdentifierSystem],
      { prepare: true },
    );
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
}
