import type { Knex } from 'knex';

/**
 * The `mta` schema is the contract with Postfix and Dovecot: they read these views and
 * nothing else, so internal tables may change while the queries in their configs do not.
 * Only active rows appear. Every view is keyed on an indexed column (mailboxes.address,
 * aliases.source) so a lookup stays an index scan with 100 000 mailboxes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE SCHEMA mta;

    CREATE VIEW mta.domains AS
      SELECT d.name AS domain FROM domains d WHERE d.status = 'active';

    -- home is relative to the mail root; each Dovecot config prefixes its own path.
    CREATE VIEW mta.mailboxes AS
      SELECT m.address,
             '{ARGON2ID}' || m.password_hash AS password_hash,
             d.name || '/' || m.local_part AS home,
             m.quota_bytes
        FROM mailboxes m JOIN domains d ON d.id = m.domain_id
       WHERE m.status = 'active' AND d.status = 'active';

    -- A catch-all is listed as '@domain', the key Postfix's virtual_alias_maps tries last.
    -- When a domain has one, each mailbox maps to itself so the catch-all cannot swallow it.
    CREATE VIEW mta.aliases AS
      SELECT a.source, dest AS destination
        FROM aliases a
        JOIN domains d ON d.id = a.domain_id AND d.status = 'active'
        CROSS JOIN LATERAL unnest(a.destinations) AS dest
      UNION ALL
      SELECT m.address, m.address
        FROM mailboxes m
        JOIN domains d ON d.id = m.domain_id AND d.status = 'active'
       WHERE m.status = 'active'
         AND EXISTS (SELECT 1 FROM aliases c WHERE c.domain_id = m.domain_id AND c.local_part = '*');

    -- Who may send as which address: a mailbox as itself, and as every alias that delivers to it.
    CREATE VIEW mta.sender_logins AS
      SELECT m.address AS sender, m.address AS login
        FROM mailboxes m
        JOIN domains d ON d.id = m.domain_id AND d.status = 'active'
       WHERE m.status = 'active'
      UNION ALL
      SELECT a.source, m.address
        FROM aliases a
        JOIN domains d ON d.id = a.domain_id AND d.status = 'active'
        JOIN mailboxes m ON m.address = ANY (a.destinations) AND m.status = 'active'
        JOIN domains md ON md.id = m.domain_id AND md.status = 'active'
       WHERE a.local_part <> '*';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP SCHEMA mta CASCADE');
}
