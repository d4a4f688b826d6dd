import type { Router } from 'express';
import { z } from 'zod';
import { listAccountsForActor, presentAccount } from '../../accounts/accounts';
import { resetAccountPassword } from '../../accounts/commands/reset-account-password';
import type { AppContext } from '../../context';
import { emailAddressSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { idParams } from '../params';

const account = z.object({
  id: z.uuid(),
  email: z.string(),
  racine: z.boolean(),
  mustChangePassword: z.boolean(),
  totpEnabled: z.boolean(),
  createdAt: z.string(),
});

/** Console accounts, for the racines. */
export function mountAccounts(router: Router, app: AppContext): void {
  defineRoute(router, app, {
    method: 'get',
    path: '/accounts',
    summary: 'Racine: console accounts, or the one with this e-mail',
    tags: ['accounts'],
    query: z.strictObject({ email: emailAddressSchema.optional() }),
    response: z.object({ items: z.array(account) }),
    handler: async ({ ctx, query }) => {
      const rows = await listAccountsForActor(ctx, { email: query.email?.address });
      return { items: rows.map(presentAccount) };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/accounts/:id/password',
    summary:
      'Racine: reset a console account’s password; returns a one-time password, once, to be changed at the next login',
    tags: ['accounts'],
    rateLimit: mutationLimiter(),
    params: idParams,
    status: 200,
    response: account.extend({ oneTimePassword: z.string() }),
    handler: async ({ ctx, params }) => {
      const { account: row, oneTimePassword } = await resetAccountPassword(ctx, params.id);
      return { ...presentAccount(row), oneTimePassword };
    },
  });
}
