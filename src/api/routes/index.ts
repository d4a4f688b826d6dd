import type { Express, Router } from 'express';
import type { AppContext } from '../../context';
import { mountAccounts } from './accounts';
import { mountAliases } from './aliases';
import { mountAppPasswords } from './app-passwords';
import { mountAudit } from './audit';
import { mountAutoconfig, mountMobileconfig } from './autoconfig';
import { mountCollectives } from './collectives';
import { mountDns, mountMtaSts } from './dns';
import { mountDomains } from './domains';
import { mountHealth } from './health';
import { mountInvitations } from './invitations';
import { mountMailboxKeys } from './mailbox-keys';
import { mountMailboxes } from './mailboxes';
import { mountMail } from './mail';
import { mountMetrics } from './metrics';
import { mountPlatform } from './platform';
import { mountQuota } from './quota';
import { mountRelays } from './relays';
import { mountSending } from './sending';
import { mountSession } from './session';
import { mountSieve } from './sieve';
import { mountWkd } from './wkd';

/** Routes under /api/v1. Each file mounts one resource. */
export const apiRoutes: Array<(router: Router, ctx: AppContext) => void> = [
  mountSession,
  mountAccounts,
  mountCollectives,
  mountInvitations,
  mountDomains,
  mountDns,
  mountMailboxes,
  mountMailboxKeys,
  mountAppPasswords,
  mountQuota,
  mountMobileconfig,
  mountSieve,
  mountAliases,
  mountAudit,
  mountRelays,
  mountSending,
  mountMail,
  mountPlatform,
];

/** Routes at the root: health, well-known endpoints, static console and webmail. */
export const rootRoutes: Array<(app: Express, ctx: AppContext) => void> = [
  mountHealth,
  mountMetrics,
  mountWkd,
  mountMtaSts,
  mountAutoconfig,
];
