import crypto from 'node:crypto';
import { deleteRoleAlias, userAliasExists } from '../../aliases/aliases';
import { isRacine } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { assertPasswordPolicy } from '../../auth/password-policy';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { lockDomainName } from '../../domains/domains';
import type { DomainRow } from '../../domains/find-domain';
import { provisionMailboxKeys } from '../../encryption/mailbox-keys';
import { errors } from '../../errors';
import type { LocalPart } from '../../names/email-address';
import {
  assertEncryptionModeAllowed,
  EncryptionMode,
  insertMailbox,
  mailboxAudit,
  MailboxRow,
} from '../mailboxes';
import { issueSetupLink } from '../setup-links';

/**
 * A new mailbox, in the platform's encryption policy. With a password: in mode `generated` its
 * key exists before the first message can arrive, wrapped by this password, and the recovery
 * code is returned once. With a temporary password (`mustChangePassword`), as after an admin's
 * reset: the owner logs in with it and must choose her own before anything else (IMAP and SMTP
 * refuse it meanwhile, mail is delivered); the recovery code is then made for her at that
 * change, and the caller gets none, so nothing the admin saw can open the mailbox later. Without one, the owner chooses it through a one-time link returned
 * once (completeMailboxSetup): until then nobody can log in, and the key (so the recovery code)
 * is made only then, so mail arriving meanwhile waits in Postfix's queue.
 */
export async function createMailbox(
  ctx: CommandContext,
  domain: DomainRow,
  input: {
    localPart: LocalPart;
    password?: string;
    displayName?: string;
    quotaBytes?: number;
    encryptionMode?: EncryptionMode;
    mustChangePassword?: boolean;
  },
): Promise<{
  mailbox: MailboxRow;
  recoveryCode: string | null;
  setupLink: { token: string; expiresAt: Date } | null;
}> {
  authorize(ctx.actor, 'manage', { type: 'domain', collectiveId: domain.collective_id });
  await lockDomainName(ctx, domain.name);
  if (await userAliasExists(ctx, domain.id, input.localPart)) {
    throw errors.conflict('address_taken', {
      fr: 'Cette adresse est déjà un alias ; supprimez l’alias d’abord.',
      en: 'This address is already an alias; delete the alias first.',
    });
  }
  if (input.password !== undefined) {
    assertPasswordPolicy(input.password, {
      login: `${input.localPart}@${domain.name}`,
      inputs: [input.displayName],
    });
  }
  assertEncryptionModeAllowed(ctx.config, input.encryptionMode ?? 'generated');
  // Mail stored in clear is a racine's decision, never a collective admin's or a token's.
  if (input.encryptionMode === 'none' && !isRacine(ctx.actor)) {
    throw errors.forbidden(undefined, {
      fr: 'Seule une racine peut créer une boîte dont le courrier est stocké en clair.',
      en: 'Only a racine may create a mailbox whose mail is stored in clear.',
    });
  }
  // A mailbox may take a role address (postmaster@, abuse@): it replaces the automatic alias.
  await deleteRoleAlias(ctx, domain.id, input.localPart);
  const { password } = input;
  const temporary = password !== undefined && input.mustChangePassword === true;
  const row = await insertMailbox(ctx, {
    domainId: domain.id,
    ...input,
    // Awaiting its owner: a secret nobody knows, refused to IMAP and SMTP besides.
    password: password ?? crypto.randomBytes(32).toString('base64url'),
    mustChangePassword: password === undefined || temporary,
  });
  const keys =
    password !== undefined && row.encryption_mode === 'generated'
      ? await provisionMailboxKeys(ctx, row, password)
      : null;
  const setupLink = password === undefined ? await issueSetupLink(ctx, row.id) : null;
  await recordAudit(
    ctx,
    mailboxAudit({ ...row, collective_id: domain.collective_id }, 'mailbox.create', {
      quotaBytes: Number(row.quota_bytes),
      encryptionMode: row.encryption_mode,
      fingerprint: keys?.fingerprint ?? null,
      passwordBy: password === undefined ? 'owner' : 'admin',
      ...(temporary ? { temporaryPassword: true } : {}),
      ...(setupLink ? { setupLinkExpiresAt: setupLink.expiresAt.toISOString() } : {}),
    }),
  );
  return {
    mailbox: { ...row, setup_link_expires_at: setupLink?.expiresAt ?? null },
    // A temporary password's code is never shown: the owner gets a fresh one when she changes it.
    recoveryCode: temporary ? null : (keys?.recoveryCode ?? null),
    setupLink,
  };
}
