import type { Component } from '../component';
import type { DnsSettings } from '../config';
import type { AppContext, ServiceContext } from '../context';
import { logger } from '../logger';
import { delegatedKeyName } from './checks/dkim';
import { dkimTxtValue, DkimAlgorithm } from './dkim-keys';
import type { DnsRecord } from './resolver';
import { splitTxt } from './zone-file';
import { staticLookup, startZoneServer, ZoneAnswer, ZoneServer } from './zone-server';

const TTL = 300;

/**
 * The platform zone's records: SOA and NS at the apex, and the TXT of every published key of a
 * delegated domain (pending, so rotation can confirm it; active; retiring, for mail in flight).
 */
export async function platformZoneRecords(ctx: ServiceContext): Promise<DnsRecord[]> {
  const settings = ctx.config.dns;
  const rows: Array<{
    selector: string;
    algorithm: DkimAlgorithm;
    public_key: string;
    name: string;
    updated_at: Date;
  }> = await ctx
    .db('dkim_keys as k')
    .join('domains as d', 'd.id', 'k.domain_id')
    .where('k.mode', 'delegated')
    .whereIn('k.state', ['pending', 'active', 'retiring'])
    .whereIn('d.status', ['pending', 'active'])
    .select('k.selector', 'k.algorithm', 'k.public_key', 'd.name', 'k.updated_at');
  const zone = settings.dkimZone;
  const serial = Math.floor(Math.max(0, ...rows.map((r) => r.updated_at.getTime())) / 1000) % 2 ** 32;
  return [
    { name: zone, ttl: TTL, type: 'SOA', value: { primary: settings.zoneNameServers[0], serial } },
    ...settings.zoneNameServers.map((ns) => ({ name: zone, ttl: TTL, type: 'NS' as const, value: ns })),
    ...rows.map((r) => ({
      name: delegatedKeyName(settings, r.name, r.selector),
      ttl: TTL,
      type: 'TXT' as const,
      value: splitTxt(dkimTxtValue(r)),
    })),
  ];
}

/** Answers for the platform zone from a cached record set; REFUSED outside it (not authoritative). */
export function platformZoneLookup(settings: DnsSettings, records: DnsRecord[]) {
  const soa = records.find((r) => r.type === 'SOA');
  const inner = staticLookup(records, soa);
  const zone = settings.dkimZone;
  return (name: string, type: string): ZoneAnswer => {
    const n = name.toLowerCase().replace(/\.$/, '');
    if (n !== zone && !n.endsWith(`.${zone}`)) return { rcode: 'REFUSED' };
    return inner(n, type);
  };
}

interface PgNotifyConnection {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', fn: () => void): void;
  removeAllListeners(event: string): void;
}

/** The platform's authoritative DNS server, refreshed when keys or domains change (LISTEN/NOTIFY). */
export async function startPlatformZone(ctx: AppContext): Promise<ZoneServer & { refresh(): Promise<void> }> {
  const settings = ctx.config.dns;
  let lookup = platformZoneLookup(settings, await platformZoneRecords(ctx));
  let refreshing: Promise<void> | undefined;
  const refresh = () => {
    refreshing ??= platformZoneRecords(ctx)
      .then((records) => {
        lookup = platformZoneLookup(settings, records);
      })
      .catch((err) => logger.error({ err }, 'platform DNS zone refresh failed'))
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };
  const conn = (await ctx.db.client.acquireConnection()) as PgNotifyConnection;
  conn.on('notification', () => void refresh());
  await conn.query('LISTEN giroflee_dkim_zone');
  // A missed notification (connection trouble) costs at most a minute.
  const timer = setInterval(() => void refresh(), 60_000);
  timer.unref();
  const server = await startZoneServer(ctx.config.dnsZoneListen, (name, type) => lookup(name, type));
  logger.info({ zone: settings.dkimZone, port: server.port }, 'platform DNS zone');
  return {
    port: server.port,
    refresh,
    async stop() {
      clearInterval(timer);
      await server.stop();
      conn.removeAllListeners('notification');
      await conn.query('UNLISTEN *').catch(() => undefined);
      await ctx.db.client.releaseConnection(conn);
    },
  };
}

export const platformZoneComponent: Component = {
  name: 'dns-zone',
  start: (ctx) => startPlatformZone(ctx),
};
