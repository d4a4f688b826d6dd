import type { Command } from 'commander';
import type { z } from 'zod';
import { validationError } from '../../errors';
import { createRelay } from '../../relay/commands/create-relay';
import { drainRelay } from '../../relay/commands/drain-relay';
import { promoteRelay } from '../../relay/commands/promote-relay';
import { removeRelay } from '../../relay/commands/remove-relay';
import { rotateRelayCredentials } from '../../relay/commands/rotate-relay-credentials';
import { updateRelay } from '../../relay/commands/update-relay';
import { presentRelay, type PresentedRelay } from '../../relay/present-relay';
import {
  createRelaySchema,
  relayNameSchema,
  rotateCredentialsSchema,
  updateRelaySchema,
} from '../../relay/relay-input';
import { listRelays } from '../../relay/relays';
import type { CommandContext } from '../../context';
import { action, commandGroup, inTransaction, output, readStdin, withContext } from '../run-context';

/** The same validation as the API, with the same clear error. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  // Options not given are absent, not undefined: the schemas are strict about keys.
  const given =
    value && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined))
      : value;
  const r = schema.safeParse(given);
  if (r.success) return r.data;
  throw validationError(r.error);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const int = (v: string) => Number.parseInt(v, 10);

function line(r: PresentedRelay): string {
  const where = r.kind === 'direct' ? 'direct (Postfix MX delivery)' : `${r.host}:${r.port} tls=${r.tlsMode}`;
  const health = `${r.health.status}${r.health.latencyMs !== null ? ` ${r.health.latencyMs}ms` : ''}`;
  const listed = r.health.dnsblListings.length ? ` LISTED(${r.health.dnsblListings.length})` : '';
  return `${r.name}\t${r.role}/${r.priority}\t${r.state}\t${health}${listed}\t${where}`;
}

export function registerRelay(program: Command): void {
  const relay = commandGroup(program, 'relay');

  relay
    .command('list')
    .description('relays in routing order, with health')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        await withContext(async (ctx) => {
          const items = (await listRelays(ctx)).map(presentRelay);
          output(opts.json, { items }, () => (items.length ? items.map(line).join('\n') : 'no relay'));
        });
      }),
    );

  relay
    .command('add <name>')
    .description('add a relay; with --password-stdin the password is read from standard input')
    .requiredOption('--kind <kind>', 'smarthost or direct')
    .option('--host <host>', 'smarthost host name or IP')
    .option('--port <port>', 'smarthost port', int)
    .option('--tls <mode>', 'implicit, starttls (default) or none (loopback only)')
    .option('--username <user>', 'SMTP AUTH user')
    .option('--password-stdin', 'read the SMTP AUTH password from standard input')
    .option('--priority <n>', 'lower goes first (default 100)', int)
    .option('--role <role>', 'primary (default) or fallback')
    .option('--sending-ip <ip>', 'public IP the relay sends from (repeatable; looked up in DNSBLs)', collect)
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          name: string,
          opts: {
            kind: string;
            host?: string;
            port?: number;
            tls?: string;
            username?: string;
            passwordStdin?: boolean;
            priority?: number;
            role?: string;
            sendingIp?: string[];
            json?: boolean;
          },
        ) => {
          const input = parse(createRelaySchema, {
            kind: opts.kind,
            name,
            host: opts.host,
            port: opts.port,
            tlsMode: opts.tls,
            username: opts.username,
            password: opts.passwordStdin ? await readStdin() : undefined,
            priority: opts.priority,
            role: opts.role,
            sendingIps: opts.sendingIp,
          });
          await withContext(async (ctx) => {
            const row = presentRelay(await inTransaction(ctx, (tx) => createRelay(tx, input)));
            output(opts.json, row, () => `relay ${row.name} added\n${line(row)}`);
          });
        },
      ),
    );

  relay
    .command('set <name>')
    .description('change priority, role, state or sending IPs')
    .option('--priority <n>', 'lower goes first', int)
    .option('--role <role>', 'primary or fallback')
    .option('--state <state>', 'active, draining or disabled')
    .option('--sending-ip <ip>', 'replaces the sending IPs (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          name: string,
          opts: { priority?: number; role?: string; state?: string; sendingIp?: string[]; json?: boolean },
        ) => {
          const patch = parse(updateRelaySchema, {
            priority: opts.priority,
            role: opts.role,
            state: opts.state,
            sendingIps: opts.sendingIp,
          });
          await withContext(async (ctx) => {
            const row = presentRelay(
              await inTransaction(ctx, (tx) => updateRelay(tx, parse(relayNameSchema, name), patch)),
            );
            output(opts.json, row, () => line(row));
          });
        },
      ),
    );

  const simple = (
    command: string,
    description: string,
    run: (ctx: CommandContext, name: string) => Promise<PresentedRelay | undefined>,
    done: string,
  ) =>
    relay
      .command(`${command} <name>`)
      .description(description)
      .option('--json', 'print JSON')
      .action(
        action(async (name: string, opts: { json?: boolean }) => {
          const parsed = parse(relayNameSchema, name);
          await withContext(async (ctx) => {
            const row = await inTransaction(ctx, (tx) => run(tx, parsed));
            output(opts.json, row ?? { name: parsed, removed: true }, () =>
              row ? `${done}\n${line(row)}` : `relay ${parsed} ${done}`,
            );
          });
        }),
      );

  simple(
    'promote',
    'make a fallback a primary, ahead of the current primaries',
    async (ctx, name) => presentRelay(await promoteRelay(ctx, name)),
    'promoted',
  );
  simple(
    'drain',
    'stop sending new mail through a relay',
    async (ctx, name) => presentRelay(await drainRelay(ctx, name)),
    'draining',
  );
  simple(
    'remove',
    'remove a relay',
    async (ctx, name) => {
      await removeRelay(ctx, name);
      return undefined;
    },
    'removed',
  );

  relay
    .command('rotate-credentials <name>')
    .description('replace the SMTP AUTH credentials; the new password is read from standard input')
    .requiredOption('--username <user>', 'SMTP AUTH user')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, opts: { username: string; json?: boolean }) => {
        const credentials = parse(rotateCredentialsSchema, {
          username: opts.username,
          password: await readStdin(),
        });
        await withContext(async (ctx) => {
          const row = presentRelay(
            await inTransaction(ctx, (tx) =>
              rotateRelayCredentials(tx, parse(relayNameSchema, name), credentials),
            ),
          );
          output(opts.json, row, () => `credentials of ${row.name} rotated`);
        });
      }),
    );
}
