import type { Router } from 'express';
import { z } from 'zod';
import { findCollectiveForActor } from '../../collectives/collectives';
import type { AppContext } from '../../context';
import { findMailboxForActor } from '../../mailboxes/mailboxes';
import { endCompromisedAlert } from '../../sending/check-outbound';
import { endSendingLimitAlert } from '../../sending/check-submission';
import { setSendingLimits } from '../../sending/commands/set-sending-limits';
import { suspendSending } from '../../sending/commands/suspend-sending';
import { collectiveOverrides, isSendingSuspended, presentLimits } from '../../sending/sending-limits';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { mailboxParams, slugParams } from '../params';

const limit = z.number().int().min(0).max(1_000_000).nullable().optional();

export function mountSending(router: Router, app: AppContext): void {
  const limiter = mutationLimiter();

  defineRoute(router, app, {
    method: 'get',
    path: '/collectives/:slug/sending-limits',
    summary:
      "A collective's sending limits per mailbox: those in force, its overrides, the platform's defaults",
    tags: ['sending'],
    params: slugParams,
    handler: async ({ ctx, params }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      return presentLimits(ctx.config.sending.limits, await collectiveOverrides(ctx, collective.id));
    },
  });

  defineRoute(router, app, {
    method: 'patch',
    path: '/collectives/:slug/sending-limits',
    summary: "Racines: override a collective's sending limits (null goes back to the platform's default)",
    tags: ['sending'],
    rateLimit: limiter,
    params: slugParams,
    body: z.strictObject({
      hourMessages: limit,
      hourRecipients: limit,
      dayMessages: limit,
      dayRecipients: limit,
    }),
    handler: async ({ ctx, params, body }) => {
      const collective = await findCollectiveForActor(ctx, params.slug, 'read');
      return presentLimits(ctx.config.sending.limits, await setSendingLimits(ctx, collective, body));
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mailboxes/:address/sending',
    summary: "Whether a mailbox's sending is suspended",
    tags: ['sending'],
    params: mailboxParams,
    handler: async ({ ctx, params }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      return { suspended: await isSendingSuspended(ctx, mailbox.id) };
    },
  });

  defineRoute(router, app, {
    method: 'put',
    path: '/mailboxes/:address/sending',
    summary: "Admins and racines: suspend a mailbox's sending (submission answers 5.7.1) or give it back",
    tags: ['sending'],
    rateLimit: limiter,
    params: mailboxParams,
    body: z.strictObject({ suspended: z.boolean() }),
    // The mailbox's sending-limit alert ends once the suspension is committed, and alerts are
    // written on the pool, never inside a request's transaction.
    transaction: false,
    handler: async ({ params, body, inTransaction }) => {
      const { mailbox, result } = await inTransaction(async (tx) => {
        const m = await findMailboxForActor(tx, params.address, 'read');
        return { mailbox: m, result: await suspendSending(tx, m, body.suspended) };
      });
      if (result.changed && body.suspended) {
        await endSendingLimitAlert(app, mailbox.id);
        await endCompromisedAlert(app, mailbox.id);
      }
      return { suspended: result.suspended };
    },
  });
}
