import type { Knex } from 'knex';
import * as foundation from './20261121_0001_foundation';
import * as mtaViews from './20261121_0002_mta_views';
import * as dns from './20261121_0010_dns';
import * as encryption from './20261121_0020_encryption';
import * as relays from './20261121_0030_relays';
import * as mailstack from './20261121_0040_mailstack';
import * as alerts from './20261130_0100_alerts';
import * as tenants from './20261130_0200_tenants';
import * as mtaLookups from './20261130_0250_mta_lookups';
import * as webmailPreferences from './20261130_0300_webmail_preferences';
import * as backups from './20261130_0500_backups';
import * as auditDetailsIndex from './20261130_0510_audit_details_index';
import * as mailClients from './20261130_0600_mail_clients';
import * as sendingLimits from './20261130_0700_sending_limits';
import * as outboundScans from './20261130_0820_outbound_scans';
import * as mailboxSetupLinks from './20261130_0880_mailbox_setup_links';
import * as collectiveSuspension from './20261201_0500_collective_suspension';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Migrations are listed here rather than discovered on disk, so the same list works from the
 * TypeScript sources (tests) and from the compiled build (npm start). Append, never reorder.
 */
const migrations: Array<[string, Migration]> = [
  ['20261121_0001_foundation', foundation],
  ['20261121_0002_mta_views', mtaViews],
  ['20261121_0010_dns', dns],
  ['20261121_0020_encryption', encryption],
  ['20261121_0030_relays', relays],
  ['20261121_0040_mailstack', mailstack],
  ['20261130_0100_alerts', alerts],
  ['20261130_0200_tenants', tenants],
  ['20261130_0250_mta_lookups', mtaLookups],
  ['20261130_0300_webmail_preferences', webmailPreferences],
  ['20261130_0500_backups', backups],
  ['20261130_0510_audit_details_index', auditDetailsIndex],
  ['20261130_0600_mail_clients', mailClients],
  ['20261130_0700_sending_limits', sendingLimits],
  ['20261130_0820_outbound_scans', outboundScans],
  ['20261130_0880_mailbox_setup_links', mailboxSetupLinks],
  ['20261201_0500_collective_suspension', collectiveSuspension],
];

export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
