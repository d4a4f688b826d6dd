import type { Knex } from 'knex';

/**
 * A racine may suspend a collective (unpaid dues, abuse) and lift it later. Nothing is lost
 * while it lasts: its domains stay in `mta.domains`, its mailboxes in `mta.mailboxes`, so
 * Postfix accepts and Dovecot stores their mail. What stops is every login of its people:
 * Dovecot (IMAP, and Postfix's submission, which asks Dovecot) gets the never-matching hash
 * '{CRYPT}!' instead of the mailbox's (as for a reset password waiting for its owner) and no app
 * password; giroflee refuses its console accounts, its API tokens and its webmail logins.
 *
 * The views are those of 20261130_0200_tenants (mta.mailboxes) and 20261130_0600_mail_clients
 * (mta.app_passwords) with the collective's state added; same columns, so the lookup functions
 * built on them stay. The join is on the collectives' primary key: one more index probe per lookup.
 */
const mailboxesView = (suspension: boolean) => `
  CREATE OR REPLACE VIEW mta.mailboxes AS
    SELECT m.address,
           CASE WHEN m.must_change_password${suspension ? ' OR c.suspended_at IS NOT NULL' : ''}
                THEN '{CRYPT}!' ELSE '{ARGON2ID}' || m.password_hash END AS password_hash,
           d.name || '/' || m.local_part AS home,
           m.quota_bytes
      FROM mailboxes m
      JOIN domains d ON d.id = m.domain_id
      ${suspension ? 'JOIN collectives c ON c.id = d.collective_id' : ''}
     WHERE m.status = 'active' AND d.status = 'active';
`;

const appPasswordsView = (suspension: boolean) => `
  CREATE OR REPLACE VIEW mta.app_passwords AS
    SELECT p.id, m.address, p.lookup_key, '{SHA256.HEX}' || p.secret_hash AS password_hash
      FROM app_passwords p
      JOIN mailboxes m ON m.id = p.mailbox_id AND m.status = 'active'
      JOIN domains d ON d.id = m.domain_id AND d.status = 'active'
      ${suspension ? 'JOIN collectives c ON c.id = d.collective_id AND c.suspended_at IS NULL' : ''};
`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE collectives
      ADD COLUMN suspended_at timestamptz,
      ADD COLUMN suspension_reason text,
      ADD CONSTRAINT collectives_suspension_reason
        CHECK ((suspended_at IS NULL) = (suspension_reason IS NULL));
  `);
  await knex.raw(mailboxesView(true));
  await knex.raw(appPasswordsView(true));
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(appPasswordsView(false));
  await knex.raw(mailboxesView(false));
  await knex.raw(`
    ALTER TABLE collectives
      DROP CONSTRAINT collectives_suspension_reason,
      DROP COLUMN suspension_reason,
      DROP COLUMN suspended_at;
  `);
}
