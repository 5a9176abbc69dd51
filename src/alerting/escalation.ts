import type { CommunicationRequest, DetectedIssue } from '@medplum/fhirtypes';
import type { Bot, BotContext } from '../bots/bot.js';
import { botContext } from '../bots/bot-context.js';
import { ensureBotDevices } from '../bots/runtime.js';
import type { Queryable } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Notifier } from '../notify/channel.js';
import { Repository, type RepositoryDeps } from '../repository/repository.js';
import type { SearchContext } from '../search/search.js';
import { defaultTenant } from '../tenant.js';
import { escalationSteps } from './escalation-steps.js';
import { escalationMessage, escalationStepUrl } from './raise.js';
import type { Ref } from './ref.js';

/** The escalation acts as a bot of its own: its writes carry its Device as author and its meta.source. */
export const escalationBot: Bot = {
  id: 'alert-escalation',
  title: 'Serium alert escalation',
  writes: ['Communication', 'CommunicationRequest'],
  async handle() {},
};

const stepOf = (r: CommunicationRequest) => r.extension?.find((e) => e.url === escalationStepUrl)?.valueInteger ?? 0;

/**
 * Urgent alert messages nobody acknowledged: every escalation request (an active
 * CommunicationRequest of category alert) whose current step went out more than the timeout ago
 * moves to its next step: the same clinician on an alternate channel, then the next clinician
 * (escalation-steps.ts). An acknowledgement (a mitigation on the DetectedIssue, which the
 * acknowledgement bot records from a clinician's answer) completes the request; when the steps
 * run out, the request is put on hold with the reason. Replicas take turns on each request.
 */
export class Escalation {
  private deviceReady = false;

  constructor(
    private readonly deps: {
      repoDeps: RepositoryDeps;
      searchContext: (q: Queryable, tenant: string) => SearchContext;
      notifier: Notifier;
      log: Logger;
      ackTimeoutMs: number;
      clock: () => Date;
    },
  ) {}

  private context(repo: Repository): BotContext {
    return botContext(escalationBot, repo, this.deps.searchContext(repo.queryable, repo.tenant), this.deps.notifier);
  }

  /** One round: moves every due request one step; returns how many moved. */
  async checkOnce(): Promise<number> {
    const repo = new Repository(this.deps.repoDeps, defaultTenant);
    if (!this.deviceReady) {
      await ensureBotDevices(repo, new Map([[escalationBot.id, escalationBot]]));
      this.deviceReady = true;
    }
    const dueBefore = new Date(this.deps.clock().getTime() - this.deps.ackTimeoutMs).toISOString();
    const due = await this.context(repo).search<CommunicationRequest>('CommunicationRequest', {
      status: 'active',
      category: 'http://terminology.hl7.org/CodeSystem/communication-category|alert',
      occurrence: `le${dueBefore}`,
      _count: '50',
    });
    let moved = 0;
    for (const r of due) {
      try {
        await repo.transaction((tx) => this.advance(this.context(tx), r.id!, dueBefore));
        moved++;
      } catch (err) {
        // one request that cannot move on must not hold up the others; it is tried again next round
        this.deps.log.error('escalation step failed', { request: r.id, error: (err as Error).message });
      }
    }
    return moved;
  }

  private async advance(ctx: BotContext, id: string, dueBefore: string): Promise<void> {
    await ctx.lock(`escalation/${id}`);
    const request = await ctx.read<CommunicationRequest & { id: string }>('CommunicationRequest', id);
    // another replica moved it meanwhile
    if (!request || request.status !== 'active' || (request.occurrenceDateTime ?? '') > dueBefore) return;
    const issueRef = request.about?.find((a) => a.reference?.startsWith('DetectedIssue/'))?.reference;
    const issue = issueRef ? await ctx.read<DetectedIssue>('DetectedIssue', issueRef.slice('DetectedIssue/'.length)) : undefined;
    if (issue && (issue.mitigation?.length || ['cancelled', 'entered-in-error'].includes(issue.status as string))) {
      await ctx.update({ ...request, status: 'completed' });
      return;
    }
    const next = stepOf(request) + 1;
    const steps = await escalationSteps(ctx, (request.recipient ?? []).filter((r): r is Ref => !!r.reference));
    const now = this.deps.clock().toISOString();
    if (next >= steps.length) {
      this.deps.log.warn('urgent alert not acknowledged by anyone in the escalation order', { request: id, issue: issueRef });
      await ctx.update({ ...request, status: 'on-hold', statusReason: { text: 'Nobody acknowledged: every step of the escalation order was tried' } });
      return;
    }
    const patient = request.subject?.reference ?? '';
    await ctx.createOnce(escalationMessage(patient, request, steps[next], ctx.identity), `${id}/step/${next}`);
    const extension = [...(request.extension ?? []).filter((e) => e.url !== escalationStepUrl), { url: escalationStepUrl, valueInteger: next }];
    await ctx.update({ ...request, extension, occurrenceDateTime: now });
  }
}
