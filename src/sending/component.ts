import type { Component } from '../component';
import type { AppContext } from '../context';
import { logger } from '../logger';
import { checkSubmission, endSendingLimitAlert, policyAction } from './check-submission';
import { startPolicyServer, type RunningPolicyServer } from './policy-server';

/**
 * Postfix names its bulk lane in `policy_context` (render-postfix.ts): a content filter
 * `transport:[host]:port`. Anything else is not a lane and is never echoed back as an action.
 */
const BULK_LANE = /^[a-z][a-z0-9]*:\[[0-9a-f.:]+\]:\d+$/i;

/**
 * The sending policy service Postfix's submission asks at DATA (`sasl_username`,
 * `recipient_count`; SMTPD_POLICY_README). A mailbox that was refused and may send again ends
 * its alert; that memory is per process, and resolving an alert twice costs nothing.
 */
export async function startSendingPolicy(
  app: AppContext,
  listen = app.config.sending.policy,
): Promise<RunningPolicyServer> {
  const refused = new Set<string>();
  return startPolicyServer(listen, async (request) => {
    const login = request.sasl_username ?? '';
    // Not logged in: the submission's own restrictions refuse it; nothing to count.
    if (!login) return 'DUNNO';
    const verdict = await checkSubmission(app, login, Number(request.recipient_count || 1));
    if (verdict.kind === 'over') refused.add(verdict.sender.mailboxId);
    if (verdict.kind === 'permit' && verdict.sender && refused.delete(verdict.sender.mailboxId)) {
      void endSendingLimitAlert(app, verdict.sender.mailboxId);
    }
    // A mailbox in a burst: its message goes through the bulk lane, a Postfix transport of its
    // own with a concurrency of one, so the other mailboxes' mail does not wait behind it in
    // Postfix's queue (access(5) FILTER overrides the submission's content_filter).
    const lane = request.policy_context ?? '';
    if (verdict.kind === 'permit' && verdict.counts && BULK_LANE.test(lane)) {
      if (verdict.counts.hourMessages > app.config.sending.bulkAfter) return `FILTER ${lane}`;
    }
    return policyAction(app, verdict);
  });
}

export const sendingPolicyComponent: Component = {
  name: 'sending-policy',
  async start(ctx) {
    const server = await startSendingPolicy(ctx);
    logger.info({ listen: `${ctx.config.sending.policy.host}:${server.port}` }, 'sending policy service');
    return { stop: () => server.stop() };
  },
};
