import path from 'node:path';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { SHARED_HYPERSCAN_CACHE } from './hyperscan-cache';
import type { MasterCredentials } from './master-user';
import type { StartMailstackOptions } from './start-mailstack';

/** Where `giroflee mailstack` keeps its private stack. */
export const mailstackDir = (config: Config) => path.join(config.dataDir, 'mailstack');

/** The server a knex instance connects to, as a URL (Postfix and Dovecot connect there too). */
export function databaseUrlOf(db: Knex): string {
  // knex keeps the parsed form of the URL it was given.
  const c = (db.client as { connectionSettings: Record<string, string | number | undefined> })
    .connectionSettings;
  const u = new URL('postgres://localhost');
  u.hostname = String(c.host ?? '127.0.0.1');
  u.port = String(c.port ?? 5432);
  u.username = encodeURIComponent(String(c.user ?? ''));
  u.password = encodeURIComponent(String(c.password ?? ''));
  u.pathname = `/${encodeURIComponent(String(c.database ?? ''))}`;
  return u.toString();
}

/** The private stack giroflee's settings describe: gateways in the path, the configured ports. */
export function mailstackOptions(
  config: Config,
  databaseUrl: string,
  masterUser: MasterCredentials,
  doveadmApiKey?: string,
): StartMailstackOptions {
  return {
    dir: mailstackDir(config),
    databaseUrl,
    hostname: config.platformHostname,
    ports: {
      ...config.mailstackPorts,
      dovecotLmtp: config.dovecotLmtp.port,
      reinject: config.reinject.port,
      managesieve: config.managesieve.port,
      doveadm: config.doveadm.port,
      // The scanning worker for submitted mail runs only when giroflee asks it (GIROFLEE_OUTBOUND_SCAN).
      rspamdScan: config.mailstackDefence ? config.sending.scan?.rspamd.port : undefined,
    },
    inboundTransport: 'gateway',
    gatewayLmtp: config.lmtp,
    outboundFilter: config.outbound,
    submissionMilter: config.submissionMilter,
    sendingPolicy: config.sending.policy,
    relayhost: config.mailstackRelayhost,
    masterUser,
    doveadmApiKey,
    // A private stack never asks the system's resolvers: GIROFLEE_DNS_SERVERS when set, otherwise
    // giroflee's own zone, which refuses other names (outside senders' checks then read none).
    defence: config.mailstackDefence
      ? { dnsServers: config.dnsServers ?? [config.dnsZoneListen] }
      : undefined,
    // Several data directories on one machine compile rspamd's expressions once.
    hyperscanCache: SHARED_HYPERSCAN_CACHE,
  };
}
