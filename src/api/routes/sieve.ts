import type { Router } from 'express';
import type { AppContext } from '../../context';
import { findMailboxForActor } from '../../mailboxes/mailboxes';
import { setSieveRules } from '../../sieve/commands/set-sieve-rules';
import { readMailboxSieve } from '../../sieve/mailbox-sieve';
import { sieveRulesSchema } from '../../sieve/sieve-rules';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { mailboxParams } from '../params';

const CLEAR_HEADERS_ONLY = {
  fr: 'Les filtres s’appliquent après le chiffrement : ils ne voient que les en-têtes en clair (expéditeur, destinataires, sujet, liste), jamais le corps du message.',
  en: 'Filters run after encryption: they see only the clear headers (sender, recipients, subject, list), never the body.',
};

export function mountSieve(router: Router, app: AppContext): void {
  defineRoute(router, app, {
    method: 'get',
    path: '/mailboxes/:address/sieve',
    summary: 'Owner: the vacation reply and filters Dovecot applies at delivery',
    tags: ['mail programs'],
    params: mailboxParams,
    handler: async ({ ctx, params }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'owner');
      return { ...(await readMailboxSieve(ctx, mailbox.address)), notice: CLEAR_HEADERS_ONLY };
    },
  });

  defineRoute(router, app, {
    method: 'put',
    path: '/mailboxes/:address/sieve',
    summary: 'Owner: replace the vacation reply (null: none) and the filters',
    tags: ['mail programs'],
    rateLimit: mutationLimiter(),
    params: mailboxParams,
    body: sieveRulesSchema,
    handler: async ({ ctx, params, body }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'read');
      const rules = await setSieveRules(ctx, mailbox, body);
      return { rules, otherScriptActive: false, notice: CLEAR_HEADERS_ONLY };
    },
  });
}
