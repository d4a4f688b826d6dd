import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, parseEndpoint } from '../../config';
import { errors } from '../../errors';
import { ensureMailPackages } from '../../mailstack/ensure-packages';
import { databaseUrlOf, mailstackDir, mailstackOptions } from '../../mailstack/from-config';
import { doveadmApiKey, webmailMasterCredentials } from '../../mailstack/master-user';
import { datagramQueueWarning, MailstackError } from '../../mailstack/processes';
import { mailStoreOwner, productionSettings, renderProduction } from '../../mailstack/render-production';
import { mailstackStatus, startMailstack, stopMailstack } from '../../mailstack/start-mailstack';
import { action, commandGroup, output, withContext } from '../run-context';

/** Postfix's or Dovecot's own words are the useful part: keep them in the error's details. */
async function explained<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MailstackError) {
      throw errors.unavailable(
        { reason: e.message },
        { fr: 'La pile mail (Postfix, Dovecot) a échoué.', en: 'The mail stack (Postfix, Dovecot) failed.' },
      );
    }
    throw e;
  }
}

/** A uid or gid given on the command line: a whole number a system user may have. */
function systemId(value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || id < 1 || id > 2 ** 31 - 2) {
    // Commander prints it after naming the option, and exits 1.
    throw new InvalidArgumentError(`1 à 2147483646 attendu / expected 1 to 2147483646.`);
  }
  return id;
}

export function registerMailstack(program: Command): void {
  const mailstack = commandGroup(program, 'mailstack');

  mailstack
    .command('up')
    .description(
      'render the configuration under <data>/mailstack and start Postfix, Dovecot and rspamd (GIROFLEE_MAILSTACK_DEFENCE=0: without rspamd)',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) =>
        withContext((ctx) =>
          explained(async () => {
            ensureMailPackages();
            const master = await webmailMasterCredentials(ctx);
            const options = mailstackOptions(
              ctx.config,
              databaseUrlOf(ctx.db),
              master,
              await doveadmApiKey(ctx),
            );
            const stack = await startMailstack(options);
            output(opts.json, { dir: stack.dir, ports: stack.ports, logQueue: stack.logQueue }, () =>
              [
                `mail stack up in ${stack.dir} / pile mail démarrée`,
                `  MX 127.0.0.1:${stack.ports.mx}  submission 127.0.0.1:${stack.ports.submission}  IMAP 127.0.0.1:${stack.ports.imap}`,
                stack.settings.defence
                  ? `  rspamd milter 127.0.0.1:${stack.ports.rspamdMilter} (GIROFLEE_MAILSTACK_DEFENCE=0: off / désactivé)`
                  : '',
                datagramQueueWarning(stack.logQueue) ?? '',
                ctx.config.databaseUrl
                  ? ''
                  : '  It reads the embedded PostgreSQL of this data directory: keep `giroflee serve` running' +
                    ' (or use GIROFLEE_MAILSTACK=1 npm start, which starts and stops both).',
              ]
                .filter(Boolean)
                .join('\n'),
            );
          }),
        ),
      ),
    );

  mailstack
    .command('down')
    .description('stop the private Postfix and Dovecot')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) =>
        explained(async () => {
          const config = loadConfig();
          await stopMailstack(mailstackDir(config));
          output(opts.json, { stopped: true }, () => 'mail stack stopped / pile mail arrêtée');
        }),
      ),
    );

  mailstack
    .command('status')
    .description('whether the private Postfix and Dovecot run')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const config = loadConfig();
        const status = await mailstackStatus(mailstackDir(config));
        output(opts.json, status, () =>
          [
            `postfix: ${status.postfix ? 'running / en marche' : 'stopped / arrêté'}`,
            `dovecot: ${status.dovecot ? 'running / en marche' : 'stopped / arrêté'}`,
            ...(config.mailstackDefence
              ? [`rspamd: ${status.rspamd ? 'running / en marche' : 'stopped / arrêté'}`]
              : []),
          ].join('\n'),
        );
        if (!status.postfix || !status.dovecot || (config.mailstackDefence && !status.rspamd))
          process.exitCode = 3;
      }),
    );

  commandGroup(program, 'mta')
    .command('render')
    .description(
      'write /etc/postfix and /etc/dovecot files for this platform into --out (see docs/production-mta.md)',
    )
    .requiredOption('--out <dir>', 'folder to write postfix/ and dovecot/ into')
    .option('--hostname <name>', 'the MX host name (default GIROFLEE_PLATFORM_HOSTNAME)')
    .option('--tls-cert <file>', 'certificate chain (PEM)', '/etc/ssl/certs/ssl-cert-snakeoil.pem')
    .option('--tls-key <file>', 'private key (PEM)', '/etc/ssl/private/ssl-cert-snakeoil.key')
    .option('--database-url <url>', 'what Postfix and Dovecot connect to (default DATABASE_URL)')
    .option('--relayhost <host:port>', 'send outbound mail through this host instead of MX delivery')
    .option('--strip-user-agent', 'also remove User-Agent and X-Mailer from submitted mail')
    .option('--vmail-user <name>', 'system user owning the mail store', 'vmail')
    .option('--vmail-uid <id>', 'its uid, when it does not exist yet (default 5000)', systemId)
    .option('--vmail-gid <id>', 'its gid, when it does not exist yet (default: the uid)', systemId)
    .option('--json', 'print JSON')
    .action(
      action(
        async (opts: {
          out: string;
          hostname?: string;
          tlsCert: string;
          tlsKey: string;
          databaseUrl?: string;
          relayhost?: string;
          stripUserAgent?: boolean;
          vmailUser: string;
          vmailUid?: number;
          vmailGid?: number;
          json?: boolean;
        }) =>
          withContext((ctx) =>
            explained(async () => {
              const vmail = await mailStoreOwner(opts.vmailUser, { uid: opts.vmailUid, gid: opts.vmailGid });
              const settings = await productionSettings(ctx.config, {
                vmail: vmail.owner,
                hostname: opts.hostname ?? ctx.config.platformHostname,
                databaseUrl: opts.databaseUrl ?? databaseUrlOf(ctx.db),
                tls: { certFile: opts.tlsCert, keyFile: opts.tlsKey },
                relayhost: opts.relayhost ? parseEndpoint(opts.relayhost, 25) : undefined,
                masterUser: await webmailMasterCredentials(ctx),
                doveadmApiKey: await doveadmApiKey(ctx),
                stripUserAgent: opts.stripUserAgent,
              });
              const written: string[] = [];
              for (const [sub, files] of Object.entries(renderProduction(settings))) {
                const dir = path.join(path.resolve(opts.out), sub);
                await fs.mkdir(dir, { recursive: true, mode: 0o755 });
                for (const [name, { content, mode }] of Object.entries(files)) {
                  await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true, mode: 0o755 });
                  await fs.writeFile(path.join(dir, name), content, { mode });
                  await fs.chmod(path.join(dir, name), mode);
                  written.push(path.join(dir, name));
                }
              }
              output(opts.json, { written, create: vmail.create }, () =>
                [
                  ...written,
                  ...(vmail.create.length
                    ? [
                        `The mail store user ${opts.vmailUser} does not exist yet; the files name uid ${vmail.owner.uid}` +
                          ` and gid ${vmail.owner.gid}. Create it before starting Dovecot, as root:`,
                        `L'utilisateur du stockage ${opts.vmailUser} n'existe pas encore ; les fichiers nomment uid` +
                          ` ${vmail.owner.uid} et gid ${vmail.owner.gid}. Créez-le avant de démarrer Dovecot, en root :`,
                        ...vmail.create.map((c) => `  ${c}`),
                      ]
                    : []),
                  'install: see docs/production-mta.md / installation : voir docs/production-mta.md',
                ].join('\n'),
              );
            }),
          ),
      ),
    );
}
