import type { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context';
import { listMailboxKeys, presentKey, presentPrivateKey } from '../../encryption/mailbox-keys';
import { recoverMailboxKeys } from '../../mailboxes/commands/recover-mailbox-keys';
import { rotateMailboxKey } from '../../mailboxes/commands/rotate-mailbox-key';
import { setEncryptionMode } from '../../mailboxes/commands/set-encryption-mode';
import { updateKeySettings } from '../../mailboxes/commands/update-key-settings';
import { uploadPublicKey } from '../../mailboxes/commands/upload-public-key';
import { findMailboxForActor } from '../../mailboxes/mailboxes';
import { defineRoute } from '../define-route';
import { loginLimiter, mutationLimiter } from '../middleware/rate-limit';
import { mailboxParams } from '../params';

const password = z.string().min(1).max(1024);

const RECOVERY_NOTICE = {
  fr: 'Notez ce nouveau code de secours maintenant : il ne sera plus jamais affiché, et l’ancien ne fonctionne plus.',
  en: 'Write this new recovery code down now: it will never be shown again, and the old one no longer works.',
};

export function mountMailboxKeys(router: Router, app: AppContext): void {
  const limit = mutationLimiter();
  const strict = loginLimiter();

  defineRoute(router, app, {
    method: 'get',
    path: '/mailboxes/:address/keys',
    summary: 'Encryption mode and OpenPGP keys of a mailbox (public parts only)',
    tags: ['mailbox keys'],
    params: mailboxParams,
    handler: async ({ ctx, params }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      return {
        encryptionMode: mailbox.encryption_mode,
        protectedSubject: mailbox.protected_subject,
        wkd: mailbox.wkd_enabled,
        keys: (await listMailboxKeys(ctx, mailbox.id)).map(presentKey),
      };
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mailboxes/:address/keys/private',
    summary: 'For the owner: the password-protected private keys and how to derive their passphrase',
    tags: ['mailbox keys'],
    params: mailboxParams,
    handler: async ({ ctx, params }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'owner');
      const rows = await listMailboxKeys(ctx, mailbox.id);
      return { keys: rows.filter((r) => r.source === 'generated').map(presentPrivateKey) };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/mailboxes/:address/keys/rotate',
    summary: 'A new active key for new mail; old keys are kept for reading old mail',
    tags: ['mailbox keys'],
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({ password }),
    handler: async ({ ctx, params, body }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      return { ...(await rotateMailboxKey(ctx, mailbox, body.password)), notice: RECOVERY_NOTICE };
    },
  });

  // The owner forgot the password, so cannot log in: the recovery code is the credential, and
  // whoever presents it acts as a `recovery` actor, allowed to recover that mailbox only. An
  // unknown address answers as a wrong code does (recoverMailboxKeys).
  defineRoute(router, app, {
    method: 'post',
    path: '/mailboxes/:address/keys/recover',
    summary: 'Recovery code + new password: old keys re-wrapped, password set, a new recovery code',
    tags: ['mailbox keys'],
    auth: false,
    status: 200,
    rateLimit: strict,
    params: mailboxParams,
    body: z.strictObject({
      recoveryCode: z.string().min(1).max(200),
      newPassword: password,
      currentPassword: password.optional(),
    }),
    handler: async ({ ctx, params, body }) => ({
      ...(await recoverMailboxKeys(ctx, params.address, body)),
      notice: RECOVERY_NOTICE,
    }),
  });

  defineRoute(router, app, {
    method: 'put',
    path: '/mailboxes/:address/keys/public',
    summary: 'Mode public-key: upload your own OpenPGP public key (giroflee never holds its private key)',
    tags: ['mailbox keys'],
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({ publicKey: z.string().min(1).max(200_000) }),
    handler: async ({ ctx, params, body }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      return { encryptionMode: 'public-key', ...(await uploadPublicKey(ctx, mailbox, body.publicKey)) };
    },
  });

  defineRoute(router, app, {
    method: 'put',
    path: '/mailboxes/:address/keys/mode',
    summary:
      'Mode none (stored in clear, unless the platform forbids it) or back to generated (password needed)',
    tags: ['mailbox keys'],
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({ mode: z.enum(['none', 'generated']), password: password.optional() }),
    handler: async ({ ctx, params, body }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      return { encryptionMode: body.mode, ...(await setEncryptionMode(ctx, mailbox, body)) };
    },
  });

  defineRoute(router, app, {
    method: 'patch',
    path: '/mailboxes/:address/keys/settings',
    summary: 'Protected subject and Web Key Directory publication',
    tags: ['mailbox keys'],
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({ protectedSubject: z.boolean().optional(), wkd: z.boolean().optional() }),
    handler: async ({ ctx, params, body }) =>
      updateKeySettings(ctx, await findMailboxForActor(ctx, params.address, 'read'), body),
  });
}
