import type { Knex } from 'knex';

/**
 * Accounts and tenants hardening:
 * - totp_steps: the last TOTP time step accepted per account, so a code is never accepted twice
 *   (RFC 6238 §5.2); login_throttle loses blocked_until: a login is slowed down, never blocked;
 * - mailboxes.must_change_password: set by an admin's reset; the owner chooses a password (and
 *   gets a fresh recovery code) before anything else. Meanwhile Dovecot and Postfix refuse the
 *   admin's password: `mta.mailboxes` gives them a hash that never matches ('{CRYPT}!', the
 *   locked-account mark of crypt(3)), while mail is still delivered;
 * - invitations: pending invitations to a collective, accepted only by the invited person.
 */
const mailboxesView = (hash: string) => `
  CREATE OR REPLACE VIEW mta.mailboxes AS
    SELECT m.address,
           ${hash} AS password_hash,
           d.name || '/' || m.local_part AS home,
           m.quota_bytes
      FROM mailboxes m JOIN domains d ON d.id = m.domain_id
     WHERE m.status = 'active' AND d.status = 'active';
`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE totp_steps (
      account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
      step bigint NOT NULL
    );
    ALTER TABLE login_throttle DROP COLUMN blocked_until;
    ALTER TABLE mailboxes ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

    CREATE TABLE invitations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      collective_id uuid NOT NULL REFERENCES collectives (id) ON DELETE CASCADE,
      email text NOT NULL,
      role text NOT NULL CONSTRAINT invitations_role CHECK (role IN ('admin', 'member')),
      token_hash text NOT NULL CONSTRAINT invitations_token_unique UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      CONSTRAINT invitations_once UNIQUE (collective_id, email)
    );
    CREATE INDEX invitations_email ON invitations (email);
  `);
  await knex.raw(
    mailboxesView(
      `CASE WHEN m.must_change_password THEN '{CRYPT}!' ELSE '{ARGON2ID}' || m.password_hash END`,
    ),
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(mailboxesView(`'{ARGON2ID}' || m.password_hash`));
  await knex.raw(`
    DROP TABLE invitations;
    ALTER TABLE mailboxes DROP COLUMN must_change_password;
    ALTER TABLE login_throttle ADD COLUMN blocked_until timestamptz;
    DROP TABLE totp_steps;
  `);
}
