import { logger } from '../logger';
import type { Component } from '../component';
import { ensureMailPackages } from './ensure-packages';
import { databaseUrlOf, mailstackOptions } from './from-config';
import { doveadmApiKey, webmailMasterCredentials } from './master-user';
import { datagramQueueWarning } from './processes';
import { startMailstack } from './start-mailstack';

/**
 * `GIROFLEE_MAILSTACK=1`: giroflee starts (and stops) a private Postfix + Dovecot with itself, and
 * rspamd in front of the MX unless GIROFLEE_MAILSTACK_DEFENCE=0.
 */
export const mailstackComponent: Component = {
  name: 'mailstack',
  enabled: (ctx) => ctx.config.mailstack,
  async start(ctx) {
    ensureMailPackages();
    const master = await webmailMasterCredentials(ctx);
    const options = mailstackOptions(ctx.config, databaseUrlOf(ctx.db), master, await doveadmApiKey(ctx));
    const stack = await startMailstack(options);
    logger.info(
      { ports: stack.ports, dir: stack.dir },
      ctx.config.mailstackDefence
        ? 'mail stack (Postfix, Dovecot, rspamd) started'
        : 'mail stack (Postfix, Dovecot) started',
    );
    const warning = datagramQueueWarning(stack.logQueue);
    if (warning) logger.warn({ logQueue: stack.logQueue }, warning);
    return { stop: () => stack.stop() };
  },
};
