import type { Ref } from './ref.js';
import type { BotContext } from '../bots/bot.js';
import type { ChannelKind } from '../notify/channel.js';
import { contactsOf } from '../notify/contacts.js';
import { telecomOf } from '../notify/telecom.js';

export interface EscalationStep {
  recipient: Ref;
  channel: ChannelKind;
}

/**
 * The steps of an urgent message's escalation: each clinician in order, first on their preferred
 * reachable channel, then on an alternate one (the next channel of another kind) when they have
 * one, then the next clinician. Channels that are not configured are skipped; a clinician with
 * no reachable channel is skipped.
 */
export async function escalationSteps(ctx: BotContext, order: Ref[]): Promise<EscalationStep[]> {
  const steps: EscalationStep[] = [];
  for (const recipient of order) {
    const kinds = [...new Set(contactsOf(await telecomOf(ctx, recipient)).map((c) => c.kind))].filter((k) => ctx.notifier.available(k));
    for (const channel of kinds.slice(0, 2)) steps.push({ recipient, channel });
  }
  return steps;
}
