import type { Knex } from 'knex';

/**
 * Mailbox OpenPGP keys. A generated key keeps two armored copies of its private key: one
 * encrypted with a passphrase derived from the mailbox password (argon2id, own salt, never
 * the login hash), one with a passphrase derived from the recovery code. An uploaded key
 * (mode public-key) has no private part at all.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE mailbox_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
      fingerprint text NOT NULL CONSTRAINT mailbox_keys_fingerprint_format CHECK (fingerprint ~ '^[0-9a-f]{40,64}$'),
      source text NOT NULL CONSTRAINT mailbox_keys_source CHECK (source IN ('generated', 'uploaded')),
      public_key text NOT NULL,
      private_key text,
      -- argon2id parameters and salt of the password-derived passphrase
      password_kdf jsonb,
      recovery_private_key text,
      recovery_kdf jsonb,
      state text NOT NULL DEFAULT 'active' CONSTRAINT mailbox_keys_state CHECK (state IN ('active', 'retired', 'locked')),
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      retired_at timestamptz,
      CONSTRAINT mailbox_keys_fingerprint_unique UNIQUE (mailbox_id, fingerprint),
      CONSTRAINT mailbox_keys_private_parts CHECK (
        (source = 'generated' AND private_key IS NOT NULL AND password_kdf IS NOT NULL
          AND recovery_private_key IS NOT NULL AND recovery_kdf IS NOT NULL)
        OR (source = 'uploaded' AND private_key IS NULL AND recovery_private_key IS NULL))
    );
    -- The gateway's per-recipient lookup reads the active keys of a mailbox.
    CREATE INDEX mailbox_keys_mailbox_state ON mailbox_keys (mailbox_id, state);

    -- Web Key Directory publication (draft-koch-openpgp-webkey-service), on by default.
    ALTER TABLE mailboxes ADD COLUMN wkd_enabled boolean NOT NULL DEFAULT true;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE mailboxes DROP COLUMN wkd_enabled;
    DROP TABLE mailbox_keys;
  `);
}
