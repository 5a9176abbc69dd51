import type { Resource } from '@medplum/fhirtypes';
import type { Notifier } from '../notify/channel.js';

/** What a bot is given: the event that triggered it and the resource as it is now. */
export interface BotInput {
  event: {
    resourceType: string;
    id: string;
    action: string;
    number: number;
    subscription: string;
    /** Which attempt this is (1 the first); a bot that throws is run again until the Subscription's maximum. */
    attempt: number;
    /** No retry follows if this run throws: the notification is dead and the Subscription turns to error. */
    lastAttempt: boolean;
  };
  /** The resource the event is about, as it is now (undefined when deleted since). */
  resource: Resource | undefined;
}

/**
 * The only way a bot reads and writes: a repository scoped to the bot's tenant, allowed to write
 * the types the bot declares, through the normal validation, history and search indexing.
 */
export interface BotContext {
  /** The bot's identity, to put in author fields: a Device reference such as Device/bot-<id>. */
  readonly identity: { reference: string; display: string };
  /** Sends messages to people: email, push and SMS, as configured. */
  readonly notifier: Notifier;
  read<T extends Resource>(resourceType: T['resourceType'], id: string): Promise<T | undefined>;
  /** A search (strict: an unknown parameter is an error); a parameter given as a list is repeated (date=ge..&date=lt..). */
  search<T extends Resource>(resourceType: T['resourceType'], params: Record<string, string | string[]>): Promise<T[]>;
  /**
   * Creates the resource unless one was already made for the same key: its id is derived from the
   * bot and the key, so processing the same input twice creates nothing new. Returns the stored
   * resource and whether it was created now.
   */
  createOnce<T extends Resource>(resource: T, key: string): Promise<{ resource: T; created: boolean }>;
  update<T extends Resource & { id: string }>(resource: T): Promise<T>;
  /**
   * Waits until no other run holds the same key, and holds it until this run's transaction ends:
   * two runs deciding the same thing (is an alert for this patient and rule already raised?) take turns.
   */
  lock(key: string): Promise<void>;
  /**
   * Holds the key until this run's transaction ends when no other run holds it; false when one
   * does. A run that then throws BotBusy is tried again shortly, and the attempt does not count.
   */
  tryLock(key: string): Promise<boolean>;
  /**
   * Creates the resource for this key, or replaces the one made for it before when it now says
   * something else (a late reading changes an aggregate): one resource per key, a new version only
   * on change.
   */
  upsert<T extends Resource>(resource: T, key: string): Promise<{ resource: T; changed: boolean }>;
}

/** Thrown by a run that found its work under way in another run: it is tried again shortly, not failed. */
export class BotBusy extends Error {
  constructor(what: string) {
    super(`${what} is under way in another run`);
  }
}

/** A bot: one file in bots/ exporting `bot`. */
export interface Bot {
  /** Used in Subscription.channel.endpoint as Bot/<id>. */
  id: string;
  title: string;
  /** The resource types it may create or update. */
  writes: string[];
  /** Its notifications are claimed before those of other bots (alerting, not aggregation). */
  urgent?: boolean;
  /** How long one run may take before it counts as failed and is retried (default 10 s). */
  timeoutMs?: number;
  handle(input: BotInput, ctx: BotContext): Promise<void>;
}
