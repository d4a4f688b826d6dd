import type { Router } from 'express';
import { z } from 'zod';
import { webLink } from '../../config';
import type { AppContext } from '../../context';
import { findDomainForActor } from '../../domains/find-domain';
import { createMailbox } from '../../mailboxes/commands/create-mailbox';
import { deleteMailbox } from '../../mailboxes/commands/delete-mailbox';
import { setMailboxPassword } from '../../mailboxes/commands/set-mailbox-password';
import { updateMailbox } from '../../mailboxes/commands/update-mailbox';
import { endDeletedMailboxSessions, endSuspendedMailboxSessions } from '../../mailboxes/end-mailbox-sessions';
import {
  completeMailboxSetup,
  inspectSetupLink,
  reissueSetupLink,
} from '../../mailboxes/commands/setup-mailbox';
import { findMailboxForActor, listMailboxes, presentMailbox } from '../../mailboxes/mailboxes';
import { setupLinkPath } from '../../mailboxes/setup-links';
import { displayTextSchema } from '../../names/display-text';
import { quotaUsage, type QuotaUsage } from '../../quota/doveadm-quota';
import { isAppError } from '../../errors';
import { localPartSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { loginLimiter, mutationLimiter } from '../middleware/rate-limit';
import { domainParams, mailboxParams } from '../params';

const quota = z
  .number()
  .int()
  .min(1024 * 1024)
  .max(1024 ** 4);
const encryptionMode = z.enum(['generated', 'public-key', 'none']);

const PASSWORD_CONSEQUENCES = {
  change: {
    fr: 'Mot de passe changé. Les clés de chiffrement ont été protégées par le nouveau mot de passe : tout le courrier reste lisible.',
    en: 'Password changed. The encryption keys are now protected by the new password: all mail stays readable.',
  },
  chosen: {
    fr: 'Mot de passe choisi. Notez maintenant ce nouveau code de secours : il ne sera plus jamais affiché, et aucun code vu auparavant ne fonctionne plus.',
    en: 'Password chosen. Write this new recovery code down now: it will never be shown again, and no code seen before works any more.',
  },
  reset: {
    fr: 'Mot de passe réinitialisé. C’est un mot de passe provisoire : la boîte ne peut plus s’en servir qu’une fois, pour choisir le sien à sa prochaine connexion (IMAP et SMTP le refusent), et elle recevra alors son nouveau code de secours. Une nouvelle clé chiffre désormais le courrier reçu ; le courrier déjà reçu reste lisible seulement avec l’ancien mot de passe ou l’ancien code de secours.',
    en: 'Password reset. It is temporary: the mailbox can only use it once, to choose its own at the next login (IMAP and SMTP refuse it), and will then get its new recovery code. A new key now encrypts incoming mail; mail received before stays readable only with the old password or the old recovery code.',
  },
};

const setupToken = z.string().min(1).max(200);

export function mountMailboxes(router: Router, app: AppContext): void {
  const limit = mutationLimiter();
  /** The one answer that carries a setup link's secret: the admin hands it to the owner. */
  const presentLink = (link: { token: string; expiresAt: Date }) => ({
    url: webLink(app.config, setupLinkPath(link.token)),
    expiresAt: link.expiresAt,
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/domains/:name/mailboxes',
    summary:
      'Create a mailbox. With a password: with an encryption key, its recovery code is returned once; with mustChangePassword, the password is temporary: the owner must change it at her first login and gets the recovery code then (none is returned here). Without: a one-time link (setupLink, returned once) lets its owner choose the password and get the recovery code',
    tags: ['mailboxes'],
    rateLimit: limit,
    params: domainParams,
    body: z.strictObject({
      localPart: localPartSchema,
      password: z.string().min(1).max(1024).optional(),
      displayName: displayTextSchema(200).optional(),
      quotaBytes: quota.optional(),
      encryptionMode: encryptionMode.optional(),
      mustChangePassword: z.boolean().optional(),
    }),
    handler: async ({ ctx, params, body }) => {
      const domain = await findDomainForActor(ctx, params.name, 'read');
      const { mailbox, recoveryCode, setupLink } = await createMailbox(ctx, domain, body);
      return { ...presentMailbox(mailbox), recoveryCode, setupLink: setupLink && presentLink(setupLink) };
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/domains/:name/mailboxes',
    summary:
      'Mailboxes of a domain, a page at a time (opaque cursor), optionally by prefix; with usage=true, each with its storage use as Dovecot counts it (usageUnavailable when Dovecot does not answer)',
    tags: ['mailboxes'],
    params: domainParams,
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().max(500).optional(),
      prefix: z.string().max(64).optional(),
      usage: z.enum(['true', 'false']).optional(),
    }),
    handler: async ({ ctx, params, query }) => {
      const domain = await findDomainForActor(ctx, params.name, 'read');
      const page = await listMailboxes(ctx, domain.id, query);
      const items = page.items.map(presentMailbox);
      if (query.usage !== 'true') return { items, nextCursor: page.nextCursor };
      // One doveadm request for the page. Dovecot down must not hide the list: usage is unknown.
      let usage: Map<string, QuotaUsage | null> | null = null;
      try {
        usage = await quotaUsage(
          ctx,
          items.map((m) => m.address),
        );
      } catch (e) {
        if (!(isAppError(e) && e.status === 503)) throw e;
      }
      return {
        items: items.map((m) => ({ ...m, usage: usage?.get(m.address) ?? null })),
        nextCursor: page.nextCursor,
        usageUnavailable: usage === null,
      };
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mailboxes/:address',
    summary: 'One mailbox',
    tags: ['mailboxes'],
    params: mailboxParams,
    handler: async ({ ctx, params }) =>
      presentMailbox(await findMailboxForActor(ctx, params.address, 'read')),
  });

  defineRoute(router, app, {
    method: 'patch',
    path: '/mailboxes/:address',
    summary:
      'Change a mailbox (owner: display name; admins: also quota and status). Keys and mode: /keys. Suspending it (`disabled`) ends its open sessions (`sessions` says whether Dovecot did)',
    tags: ['mailboxes'],
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({
      displayName: displayTextSchema(200).nullable().optional(),
      quotaBytes: quota.optional(),
      status: z.enum(['active', 'disabled']).optional(),
    }),
    // A suspension commits first; then the sessions the mailbox has open are ended, and the
    // answer says whether they all were (`sessions`).
    transaction: false,
    handler: async ({ ctx, params, body, inTransaction }) => {
      const { before, row } = await inTransaction(async (tx) => {
        const mailbox = await findMailboxForActor(tx, params.address, 'read');
        return { before: mailbox, row: await updateMailbox(tx, mailbox, body) };
      });
      if (before.status === 'disabled' || row.status !== 'disabled') return presentMailbox(row);
      return { ...presentMailbox(row), sessions: await endSuspendedMailboxSessions(ctx, before) };
    },
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/mailboxes/:address',
    summary:
      'Delete a mailbox (its stored mail is removed by the mail store separately) and end its open sessions: 204, or 200 with `sessions` when Dovecot could not end them',
    tags: ['mailboxes'],
    rateLimit: limit,
    params: mailboxParams,
    status: 204,
    // As a suspension: the deletion commits first, then what the mailbox had open is ended.
    transaction: false,
    handler: async ({ ctx, params, inTransaction, res }) => {
      const mailbox = await inTransaction(async (tx) => {
        const found = await findMailboxForActor(tx, params.address, 'read');
        await deleteMailbox(tx, found);
        return found;
      });
      const sessions = await endDeletedMailboxSessions(ctx, mailbox);
      if (!sessions.ended) res.status(200).json({ sessions });
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/mailboxes/:address/password',
    summary:
      'Owner: change the password (current one required; after an admin reset, also returns a fresh recovery code). Admin: reset it to a temporary password the owner must change (see the response for what happens to keys)',
    tags: ['mailboxes'],
    beforePasswordChange: true,
    rateLimit: loginLimiter(),
    params: mailboxParams,
    body: z.strictObject({
      currentPassword: z.string().min(1).max(1024).optional(),
      newPassword: z.string().min(1).max(1024),
    }),
    status: 200,
    handler: async ({ ctx, params, body }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      const result = await setMailboxPassword(ctx, mailbox, body);
      return {
        kind: result.kind,
        recoveryCode: result.recoveryCode,
        consequences: PASSWORD_CONSEQUENCES[result.recoveryCode ? 'chosen' : result.kind],
      };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/mailboxes/:address/setup-link',
    summary:
      'A new one-time link for a mailbox still waiting for its owner to choose a password (the previous link stops working); returned once',
    tags: ['mailboxes'],
    rateLimit: limit,
    params: mailboxParams,
    handler: async ({ ctx, params }) =>
      presentLink(await reissueSetupLink(ctx, await findMailboxForActor(ctx, params.address, 'read'))),
  });

  const setupLimit = loginLimiter();

  defineRoute(router, app, {
    method: 'post',
    path: '/mailbox-setup/inspect',
    summary: 'Public: which mailbox a one-time setup link is for, and until when (nothing changes)',
    tags: ['mailboxes'],
    auth: false,
    rateLimit: setupLimit,
    body: z.strictObject({ token: setupToken }),
    status: 200,
    handler: async ({ ctx, body }) => {
      const m = await inspectSetupLink(ctx, body.token);
      return {
        address: m.address,
        displayName: m.display_name,
        encryptionMode: m.encryption_mode,
        expiresAt: m.setup_link_expires_at,
      };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/mailbox-setup',
    summary:
      'Public: the owner chooses the mailbox password with the one-time link; the key is made then and its recovery code returned once',
    tags: ['mailboxes'],
    auth: false,
    rateLimit: setupLimit,
    body: z.strictObject({ token: setupToken, password: z.string().min(1).max(1024) }),
    status: 200,
    handler: async ({ ctx, body }) => {
      const { mailbox, recoveryCode } = await completeMailboxSetup(ctx, body);
      return { address: mailbox.address, encryptionMode: mailbox.encryption_mode, recoveryCode };
    },
  });
}
