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
    summary:
      'Racine: console accounts by e-mail, a page at a time (opaque cursor): the one with this e-mail, or those whose e-mail contains `search`',
    tags: ['accounts'],
    query: z.strictObject({
      email: emailAddressSchema.optional(),
      search: z.string().trim().max(254).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().max(500).optional(),
    }),
    response: z.object({ items: z.array(account), nextCursor: z.string().nullable() }),
    handler: async ({ ctx, query }) => {
      const page = await listAccountsForActor(ctx, { ...query, email: query.email?.address });
      return { items: page.items.map(presentAccount), nextCursor: page.nextCursor };
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
