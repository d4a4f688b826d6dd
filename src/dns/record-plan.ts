import type { DnsSettings } from '../config';
import { autoconfig } from './checks/autoconfig';
import { autodiscover } from './checks/autodiscover';
import type { PlanDomain, PlannedRecord } from './checks/common';
import { dkim } from './checks/dkim';
import { dmarc } from './checks/dmarc';
import { mtaSts } from './checks/mta-sts';
import { mx } from './checks/mx';
import { spf } from './checks/spf';
import { srv } from './checks/srv';
import { tlsRpt } from './checks/tls-rpt';
import { verification } from './checks/verification';
import type { DkimKeyRow } from './dkim-keys';

export type { PlannedRecord } from './checks/common';

/**
 * The DNS protocols a domain is set up for, in the order the owner reads them: the one list
 * from which the record plan, the check ids and the checks run by checkDomain all come.
 */
export const PROTOCOLS = [
  verification,
  mx,
  spf,
  dkim,
  dmarc,
  mtaSts,
  tlsRpt,
  autoconfig,
  autodiscover,
  srv,
] as const;

export type CheckId = (typeof PROTOCOLS)[number]['id'];

const TTL = 3600;

/**
 * Every record a domain needs, from the platform settings and its DKIM keys (pending, active
 * and retiring ones), each protocol's records in turn.
 */
export function recordPlan(settings: DnsSettings, domain: PlanDomain, keys: DkimKeyRow[]): PlannedRecord[] {
  return PROTOCOLS.flatMap((p) =>
    p.publish(settings, domain, keys).map((r) => ({ ...r, check: p.id, ttl: TTL })),
  );
}

/** The JSON form of the plan for the API and the CLI. */
export const presentPlan = (plan: PlannedRecord[]) =>
  plan.map(({ id, type, name, value, ttl, purpose }) => ({ id, type, name, value, ttl, purpose }));
