import type { Device, Reference, Resource } from '@medplum/fhirtypes';
import type { Repository } from '../repository/repository.js';
import { search, type SearchContext } from '../search/search.js';

/** The Device the watch acts as: the author of its Flags and the sender of its messages. */
export const watchDeviceId = 'bot-device-watch';
export const watchIdentity: Reference<Device> = { reference: `Device/${watchDeviceId}`, display: 'Serium device watch' };
/** meta.source of everything the watch writes, as bots mark theirs. */
export const watchSource = 'urn:serium:bot:device-watch';

export interface DeviceWatchSettings {
  /** No report for this long: a Flag and a reminder to the patient. */
  silentAfterMs: number;
  /** No report for this long: a message to the care team as well. */
  teamAfterMs: number;
  /** A battery charge at or below this (percent): a Flag and a reminder to the patient. */
  batteryLowPercent: number;
}

/** What the watch works with while it looks at one device: a repository bound to that device's transaction, searches in it, the round's time. */
export interface DeviceTurn {
  repo: Repository;
  searchContext: SearchContext;
  now: Date;
  settings: DeviceWatchSettings;
}

/** One page of a strict search, as resources. */
export async function find<T extends Resource>(ctx: SearchContext, resourceType: T['resourceType'], params: Record<string, string>): Promise<T[]> {
  const result = await search(ctx, { resourceType, params: new URLSearchParams(params), strict: true });
  return result.entries.map((e) => e.resource as T);
}

/** Every match of a strict search, page by page. */
export async function findAll<T extends Resource>(ctx: SearchContext, resourceType: T['resourceType'], params: Record<string, string>): Promise<T[]> {
  const found: T[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ ...params, _count: '1000' });
    if (cursor) query.set('_cursor', cursor);
    const result = await search(ctx, { resourceType, params: query, strict: true });
    found.push(...result.entries.map((e) => e.resource as T));
    cursor = result.next;
  } while (cursor);
  return found;
}

export function marked<T extends Resource>(r: T): T {
  return { ...r, meta: { ...r.meta, source: watchSource } };
}

/**
 * Creates the resource under its deterministic id unless that id is already taken: a second
 * replica, or a round run again, finds it and writes nothing. Returns whether it was created.
 */
export async function createOnce(turn: DeviceTurn, resource: Resource, id: string): Promise<boolean> {
  if (await turn.repo.current(resource.resourceType, id)) return false;
  await turn.repo.createWithId(marked(resource), id);
  return true;
}
