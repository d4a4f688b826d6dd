import type { Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { assertPasswordPolicy } from '../../auth/password-policy';
import { recordAudit } from '../../audit/record-audit';
import type { AppContext } from '../../context';
import type { Db } from '../../db/knex';
import {
  setEncryptionMode,
  setUploadedPublicKey,
  updateKeySettings,
} from '../../encryption/mailbox-key-settings';
import {
  listMailboxKeys,
  presentKey,
  presentPrivateKey,
  recoverMailboxKeys,
  rotateMailboxKey,
} from '../../encryption/mailbox-keys';
import { assertMailboxPassword, findMailboxForActor } from '../../mailboxes/mailboxes';
import { emailAddressSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { loginLimiter, mutationLimiter } from '../middleware/rate-limit';

const params = z.strictObject({ address: emailAddressSchema });
const password = z.string().min(1).max(1024);

const RECOVERY_NOTICE = {
  fr: 'Notez ce nouveau code de secours maintenant : il ne sera plus jamais affiché, et l’ancien ne fonctionne plus.',
  en: 'Write this new recovery code down now: it will never be shown again, and the old one no longer works.',
};

type Mailbox = Awaited<ReturnType<typeof findMailboxForActor>>;

async function audit(
  db: Db,
  actor: Actor,
  mailbox: Mailbox,
  action: string,
  details: Record<string, unknown>,
) {
  await recordAudit(db, actor, {
    action,
    targetType: 'mailbox',
    targetId: mailbox.id,
    collectiveId: mailbox.collective_id,
    details: { address: mailbox.address, ...details },
  });
}

export function mountMailboxKeys(router: Router, ctx: AppContext): void {
  const limit = mutationLimiter();
  const strict = loginLimiter();

  defineRoute(router, ctx, {
    method: 'get',
    path: '/mailboxes/:address/keys',
    summary: 'Encryption mode and OpenPGP keys of a mailbox (public parts only)',
    tags: ['mailbox keys'],
    params,
    handler: async ({ actor, params }) => {
      const mailbox = await findMailboxForActor(ctx.db, actor, params.address, 'read');
      return {
        encryptionMode: mailbox.encryption_mode,
        protectedSubject: mailbox.protected_subject,
        wkd: mailbox.wkd_enabled,
        keys: (await listMailboxKeys(ctx.db, mailbox.id)).map(presentKey),
      };
    },
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/mailboxes/:address/keys/private',
    summary: 'For the owner: the password-protected private keys and how to derive their passphrase',
    tags: ['mailbox keys'],
    params,
    handler: async ({ actor, params }) => {
      const mailbox = await findMailboxForActor(ctx.db, actor, params.address, 'owner');
      const rows = await listMailboxKeys(ctx.db, mailbox.id);
      return { keys: rows.filter((r) => r.source === 'generated').map(presentPrivateKey) };
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/mailboxes/:address/keys/rotate',
    summary: 'A new active key for new mail; old keys are kept for reading old mail',
    tags: ['mailbox keys'],
    rateLimit: limit,
    params,
    body: z.strictObject({ password }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const mailbox = await findMailboxForActor(trx, actor, params.address, 'owner');
        await assertMailboxPassword(trx, mailbox.id, body.password);
        const result = await rotateMailboxKey(trx, mailbox, body.password);
        await audit(trx, actor, mailbox, 'mailbox.keys.rotate', { fingerprint: result.fingerprint });
        return { ...result, notice: RECOVERY_NOTICE };
      }),
  });

  // The owner forgot the password, so cannot log in: the recovery code is the credential.
  defineRoute(router, ctx, {
    method: 'post',
    path: '/mailboxes/:address/keys/recover',
    summary: 'Recovery code + new password: old keys re-wrapped, password set, a new recovery code',
    tags: ['mailbox keys'],
    auth: false,
    status: 200,
    rateLimit: strict,
    params,
    body: z.strictObject({
      recoveryCode: z.string().min(1).max(200),
      newPassword: password,
      currentPassword: password.optional(),
    }),
    handler: async ({ params, body }) =>
      ctx.db.transaction(async (trx) => {
        const system: Actor = { type: 'system', label: 'recovery' };
        const mailbox = await findMailboxForActor(trx, system, params.address, 'read');
        assertPasswordPolicy(body.newPassword, { login: mailbox.local_part });
        const result = await recoverMailboxKeys(trx, mailbox.id, body, ctx.now());
        const owner: Actor = {
          type: 'mailbox',
          id: mailbox.id,
          address: mailbox.address,
          collectiveId: mailbox.collective_id,
        };
        await audit(trx, owner, mailbox, 'mailbox.keys.recover', { recovered: result.recovered });
        return { ...result, notice: RECOVERY_NOTICE };
      }),
  });

  defineRoute(router, ctx, {
    method: 'put',
    path: '/mailboxes/:address/keys/public',
    summary: 'Mode public-key: upload your own OpenPGP public key (giroflee never holds its private key)',
    tags: ['mailbox keys'],
    rateLimit: limit,
    params,
    body: z.strictObject({ publicKey: z.string().min(1).max(200_000) }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const mailbox = await findMailboxForActor(trx, actor, params.address, 'update');
        const result = await setUploadedPublicKey(trx, mailbox.id, body.publicKey, ctx.now());
        await audit(trx, actor, mailbox, 'mailbox.keys.upload', {
          fingerprint: result.fingerprint,
          encryptionMode: { before: mailbox.encryption_mode, after: 'public-key' },
        });
        return { encryptionMode: 'public-key', ...result };
      }),
  });

  defineRoute(router, ctx, {
    method: 'put',
    path: '/mailboxes/:address/keys/mode',
    summary:
      'Mode none (stored in clear, unless the platform forbids it) or back to generated (password needed)',
    tags: ['mailbox keys'],
    rateLimit: limit,
    params,
    body: z.strictObject({ mode: z.enum(['none', 'generated']), password: password.optional() }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const mailbox = await findMailboxForActor(trx, actor, params.address, 'update');
        if (body.mode === 'generated') {
          authorize(actor, 'owner', {
            type: 'mailbox',
            collectiveId: mailbox.collective_id,
            mailboxId: mailbox.id,
          });
          if (body.password) await assertMailboxPassword(trx, mailbox.id, body.password);
        }
        const result = await setEncryptionMode(trx, ctx.config, mailbox, body.mode, body.password, ctx.now());
        await audit(trx, actor, mailbox, 'mailbox.keys.mode', {
          encryptionMode: { before: mailbox.encryption_mode, after: body.mode },
        });
        return { encryptionMode: body.mode, ...result };
      }),
  });

  defineRoute(router, ctx, {
    method: 'patch',
    path: '/mailboxes/:address/keys/settings',
    summary: 'Protected subject and Web Key Directory publication',
    tags: ['mailbox keys'],
    rateLimit: limit,
    params,
    body: z.strictObject({ protectedSubject: z.boolean().optional(), wkd: z.boolean().optional() }),
    handler: async ({ actor, params, body }) =>
      ctx.db.transaction(async (trx) => {
        const mailbox = await findMailboxForActor(trx, actor, params.address, 'update');
        const settings = await updateKeySettings(trx, mailbox, body, ctx.now());
        await audit(trx, actor, mailbox, 'mailbox.keys.settings', settings.changes);
        return { protectedSubject: settings.protectedSubject, wkd: settings.wkd };
      }),
  });
}
