import type { Handler } from '../http/fhir-request.js';

/**
 * POST Subscription/[id]/$replay: the dead notifications of a Subscription (given up after its
 * maximum attempts) are queued again, with their event numbers, and sent once the Subscription
 * is active. Answers a Parameters resource with how many were queued.
 */
export const subscriptionReplay: Handler = async (req, ctx) => {
  const { id } = req.params;
  await ctx.repo.read('Subscription', id);
  const { rowCount } = await ctx.repo.queryable.query(
    `UPDATE subscription_delivery SET status = 'pending', attempts = 0, next_attempt_at = clock_timestamp()
      WHERE tenant = $1 AND subscription_id = $2 AND status = 'dead'`,
    [ctx.repo.tenant, id],
  );
  return { status: 200, body: { resourceType: 'Parameters', parameter: [{ name: 'requeued', valueInteger: rowCount ?? 0 }] } };
};
