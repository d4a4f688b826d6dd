import type { Actor } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { assertPasswordPolicy } from '../../auth/password-policy';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext, ServiceContext } from '../../context';
import { provisionMailboxKeys } from '../../encryption/mailbox-keys';
import { errors } from '../../errors';
import {
  findMailboxById,
  LoadedMailbox,
  mailboxAudit,
  mailboxSubject,
  MailboxRow,
  setMailboxPasswordHash,
} from '../mailboxes';
import { findSetupLink, issueSetupLink, lockSetupLinkByToken, markSetupLinkUsed } from '../setup-links';

/*
 * A mailbox created without a password: its owner chooses one through a one-time link the admin
 * hands over. The link's holder is authorized by the link itself (its secret names one mailbox);
 * only its hash is stored, and neither the audit log nor any answer but the issuing one holds it.
 */

const linkUnknown = () =>
  errors.notFound(undefined, {
    fr: 'Ce lien n’est pas (ou plus) valable : il a peut-être été remplacé par un plus récent. Demandez un nouveau lien à l’administrateur de votre collectif.',
    en: 'This link is not valid (any more): a newer one may have replaced it. Ask your collective’s admin for a new link.',
  });

/** The mailbox whose unused, unexpired link this is, its link row locked; otherwise a clear refusal. */
async function mailboxOfLink(ctx: ServiceContext, token: string): Promise<LoadedMailbox> {
  const link = await lockSetupLinkByToken(ctx, token);
  if (!link) throw linkUnknown();
  if (link.used_at) {
    throw errors.conflict('setup_link_used', {
      fr: 'Ce lien a déjà servi : le mot de passe de la boîte est choisi. Connectez-vous avec lui, ou utilisez votre code de secours si vous l’avez oublié.',
      en: 'This link has been used already: the mailbox’s password is chosen. Log in with it, or use your recovery code if you forgot it.',
    });
  }
  if (link.expires_at.getTime() <= ctx.now().getTime()) {
    throw errors.conflict(
      'setup_link_expired',
      {
        fr: 'Ce lien a expiré. Demandez un nouveau lien à l’administrateur de votre collectif.',
        en: 'This link has expired. Ask your collective’s admin for a new link.',
      },
      { expiredAt: link.expires_at },
    );
  }
  const mailbox = await findMailboxById(ctx, link.mailbox_id);
  if (!mailbox) throw linkUnknown();
  return { ...mailbox, setup_link_expires_at: link.expires_at };
}

/** What the link's holder may see before choosing: which mailbox, until when. */
export async function inspectSetupLink(ctx: ServiceContext, token: string): Promise<LoadedMailbox> {
  return mailboxOfLink(ctx, token);
}

/**
 * The owner chooses the password: in mode `generated` the mailbox's key is made now, wrapped by
 * this password, and its recovery code is returned once, to her. The link is spent.
 */
export async function completeMailboxSetup(
  ctx: ServiceContext,
  input: { token: string; password: string },
): Promise<{ mailbox: MailboxRow; recoveryCode: string | null }> {
  const mailbox = await mailboxOfLink(ctx, input.token);
  assertPasswordPolicy(input.password, {
    login: mailbox.address,
    inputs: [mailbox.display_name, mailbox.domain_name],
  });
  const owner: Actor = {
    type: 'mailbox',
    id: mailbox.id,
    address: mailbox.address,
    collectiveId: mailbox.collective_id,
  };
  const asOwner: CommandContext = { ...ctx, actor: owner };
  const keys =
    mailbox.encryption_mode === 'generated' ? await provisionMailboxKeys(ctx, mailbox, input.password) : null;
  await setMailboxPasswordHash(ctx, mailbox.id, input.password);
  await markSetupLinkUsed(ctx, mailbox.id);
  await recordAudit(
    asOwner,
    mailboxAudit(mailbox, 'mailbox.setup_link.use', { fingerprint: keys?.fingerprint ?? null }),
  );
  return {
    mailbox: { ...mailbox, must_change_password: false, setup_link_expires_at: null },
    recoveryCode: keys?.recoveryCode ?? null,
  };
}

/**
 * A fresh link for a mailbox still waiting for its owner (the previous one expired or was lost):
 * the previous link stops working.
 */
export async function reissueSetupLink(
  ctx: CommandContext,
  mailbox: LoadedMailbox,
): Promise<{ token: string; expiresAt: Date }> {
  authorize(ctx.actor, 'manage', mailboxSubject(mailbox));
  const link = await findSetupLink(ctx, mailbox.id);
  if (!link || link.used_at) {
    throw errors.conflict('mailbox_password_chosen', {
      fr: 'Le mot de passe de cette boîte est déjà choisi : pour en changer sans lui, réinitialisez-le.',
      en: 'This mailbox’s password is chosen already: to change it without it, reset it.',
    });
  }
  const issued = await issueSetupLink(ctx, mailbox.id);
  await recordAudit(
    ctx,
    mailboxAudit(mailbox, 'mailbox.setup_link.issue', { expiresAt: issued.expiresAt.toISOString() }),
  );
  return issued;
}
