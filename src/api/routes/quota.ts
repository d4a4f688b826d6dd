import type { Router } from 'express';
import type { AppContext } from '../../context';
import { errors } from '../../errors';
import { findMailboxForActor } from '../../mailboxes/mailboxes';
import { quotaUsage } from '../../quota/doveadm-quota';
import { defineRoute } from '../define-route';
import { mailboxParams } from '../params';

export function mountQuota(router: Router, app: AppContext): void {
  defineRoute(router, app, {
    method: 'get',
    path: '/mailboxes/:address/quota',
    summary: 'Storage used by a mailbox and its limit, as Dovecot counts them (503 when Dovecot is down)',
    tags: ['mailboxes'],
    params: mailboxParams,
    handler: async ({ ctx, params }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      const usage = (await quotaUsage(ctx, [mailbox.address])).get(mailbox.address);
      // A disabled mailbox (or one of a suspended domain) is not served by Dovecot.
      if (!usage) {
        throw errors.conflict('mailbox_not_served', {
          fr: 'Cette boîte n’est pas active : Dovecot ne la sert pas.',
          en: 'This mailbox is not active: Dovecot does not serve it.',
        });
      }
      return usage;
    },
  });
}
