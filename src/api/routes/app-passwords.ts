import type { Router } from 'express';
import { z } from 'zod';
import {
  getAppPasswordSettings,
  listAppPasswords,
  presentAppPassword,
} from '../../app-passwords/app-passwords';
import { createAppPassword } from '../../app-passwords/commands/create-app-password';
import { revokeAppPassword } from '../../app-passwords/commands/revoke-app-password';
import { setAppPasswordSettings } from '../../app-passwords/commands/set-app-password-settings';
import type { AppContext } from '../../context';
import { findMailboxForActor } from '../../mailboxes/mailboxes';
import { emailAddressSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { mailboxParams } from '../params';

const SHOWN_ONCE = {
  fr: 'Copiez ce mot de passe dans votre logiciel de courrier maintenant : il ne sera plus jamais affiché. Il ouvre IMAP et SMTP, pas le webmail, et ne déchiffre pas le courrier.',
  en: 'Copy this password into your mail program now: it will never be shown again. It opens IMAP and SMTP, not the webmail, and does not decrypt mail.',
};

export function mountAppPasswords(router: Router, app: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, app, {
    method: 'get',
    path: '/mailboxes/:address/app-passwords',
    summary: 'App passwords of a mailbox (names and last use, never the passwords) and its login policy',
    tags: ['app passwords'],
    params: mailboxParams,
    handler: async ({ ctx, params }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      return {
        items: (await listAppPasswords(ctx, mailbox.id)).map(presentAppPassword),
        ...(await getAppPasswordSettings(ctx, mailbox.id)),
      };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/mailboxes/:address/app-passwords',
    summary: 'Owner: a new app password for one mail program (IMAP and SMTP only); shown once',
    tags: ['app passwords'],
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({ name: z.string().trim().min(1).max(100) }),
    handler: async ({ ctx, params, body }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      const { row, password } = await createAppPassword(ctx, mailbox, body);
      return { ...presentAppPassword(row), password, notice: SHOWN_ONCE };
    },
  });

  defineRoute(router, app, {
    method: 'patch',
    path: '/mailboxes/:address/app-passwords/settings',
    summary: 'Owner: refuse the main password over IMAP and SMTP while an app password exists',
    tags: ['app passwords'],
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({ mainPasswordRefused: z.boolean() }),
    status: 200,
    handler: async ({ ctx, params, body }) =>
      setAppPasswordSettings(ctx, await findMailboxForActor(ctx, params.address, 'read'), body),
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/mailboxes/:address/app-passwords/:id',
    summary: 'Owner: revoke an app password',
    tags: ['app passwords'],
    rateLimit: limit,
    params: z.strictObject({ address: emailAddressSchema, id: z.uuid() }),
    status: 204,
    handler: async ({ ctx, params }) => {
      await revokeAppPassword(ctx, await findMailboxForActor(ctx, params.address, 'read'), params.id);
      return undefined;
    },
  });
}
