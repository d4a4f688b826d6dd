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

/**
 * A new mailbox, in the platform's encryption policy. In mode `generated` its key exists before
 * the first message can arrive, wrapped by this password; the recovery code is returned once.
 */
export async function createMailbox(
  ctx: CommandContext,
  domain: DomainRow,
  input: {
    localPart: LocalPart;
    password: string;
    displayName?: string;
    quotaBytes?: number;
    encryptionMode?: EncryptionMode;
  },
): Promise<{ mailbox: MailboxRow; recoveryCode: string | null }> {
  authorize(ctx.actor, 'manage', { type: 'domain', collectiveId: domain.collective_id });
  await lockDomainName(ctx, domain.name);
  if (await userAliasExists(ctx, domain.id, input.localPart)) {
    throw errors.conflict('address_taken', {
      fr: 'Cette adresse est déjà un alias ; supprimez l’alias d’abord.',
      en: 'This address is already an alias; delete the alias first.',
    });
  }
  assertPasswordPolicy(input.password, {
    login: `${input.localPart}@${domain.name}`,
    inputs: [input.displayName],
  });
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
  const row = await insertMailbox(ctx, { domainId: domain.id, ...input });
  const keys =
    row.encryption_mode === 'generated' ? await provisionMailboxKeys(ctx, row, input.password) : null;
  await recordAudit(
    ctx,
    mailboxAudit({ ...row, collective_id: domain.collective_id }, 'mailbox.create', {
      quotaBytes: Number(row.quota_bytes),
      encryptionMode: row.encryption_mode,
      fingerprint: keys?.fingerprint ?? null,
    }),
  );
  return { mailbox: row, recoveryCode: keys?.recoveryCode ?? null };
}
