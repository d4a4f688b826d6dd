import type { Knex } from 'knex';

/**
 * Mail clients (Thunderbird, phones, Nextcloud Mail): app passwords, the option that makes IMAP
 * and SMTP refuse a mailbox's main password, and the record of quota warnings sent.
 *
 * An app password is 24 random base32 characters in six groups (`abcd-efgh-…`). Its first nine
 * characters are its lookup key: Dovecot passes them (and only them) to the lookup function, so
 * a mailbox may hold several app passwords while each login reads one row. The whole password is
 * stored as SHA-256: with 120 random bits a slow hash protects nothing more, and Dovecot checks
 * it without the 20 ms an argon2id verification costs on every connection a client opens.
 *
 * New views and a new function only: the `mta` views and lookup functions of the earlier
 * migrations are unchanged. An admin's reset (mailboxes.must_change_password) locks the mailbox's
 * main password out of Dovecot; the owner's app passwords are hers, not the admin's, and keep
 * working (she revokes them herself, or the mailbox is suspended).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE app_passwords (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
      name text NOT NULL CONSTRAINT app_passwords_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
      lookup_key text NOT NULL CONSTRAINT app_passwords_lookup_key_format CHECK (lookup_key ~ '^[a-z2-7]{4}-[a-z2-7]{4}$'),
      secret_hash text NOT NULL CONSTRAINT app_passwords_secret_hash_format CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      CONSTRAINT app_passwords_name_unique UNIQUE (mailbox_id, name),
      CONSTRAINT app_passwords_lookup_key_unique UNIQUE (mailbox_id, lookup_key)
    );

    CREATE TABLE app_password_settings (
      mailbox_id uuid PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
      main_password_refused boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- One row while a mailbox is at or above the warning threshold and was told so.
    CREATE TABLE quota_warnings (
      mailbox_id uuid PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
      percent integer NOT NULL,
      warned_at timestamptz NOT NULL
    );

    -- App passwords of active mailboxes of active domains, as Dovecot checks them.
    CREATE VIEW mta.app_passwords AS
      SELECT p.id, m.address, p.lookup_key, '{SHA256.HEX}' || p.secret_hash AS password_hash
        FROM app_passwords p
        JOIN mailboxes m ON m.id = p.mailbox_id AND m.status = 'active'
        JOIN domains d ON d.id = m.domain_id AND d.status = 'active';

    -- Mailboxes whose main password IMAP and SMTP refuse: they asked for it and hold an app password.
    CREATE VIEW mta.main_password_refused AS
      SELECT m.address
        FROM app_password_settings s
        JOIN mailboxes m ON m.id = s.mailbox_id
       WHERE s.main_password_refused
         AND EXISTS (SELECT 1 FROM app_passwords p WHERE p.mailbox_id = m.id);

    -- Dovecot's passdb for app passwords: the row of (login, lookup key), if any, and its
    -- last use noted. A lookup key comes from the presented password, so only a client that
    -- holds the password can mark it used. Time is the database's: Dovecot reports the event
    -- there, giroflee's clock is not involved. Noted at most once a minute (clients open many
    -- connections); skipped on a read-only standby, where a login must still work.
    CREATE FUNCTION mta.app_password_lookup(login text, key text)
      RETURNS TABLE (address text, password_hash text)
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      DECLARE found_id uuid;
      BEGIN
        SELECT a.id, a.address, a.password_hash INTO found_id, address, password_hash
          FROM mta.app_passwords a WHERE a.address = login AND a.lookup_key = key;
        IF found_id IS NULL THEN RETURN; END IF;
        BEGIN
          UPDATE app_passwords SET last_used_at = now()
           WHERE id = found_id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');
        EXCEPTION WHEN read_only_sql_transaction THEN NULL;
        END;
        RETURN NEXT;
      END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION mta.app_password_lookup(text, text);
    DROP VIEW mta.main_password_refused;
    DROP VIEW mta.app_passwords;
    DROP TABLE quota_warnings;
    DROP TABLE app_password_settings;
    DROP TABLE app_passwords;
  `);
}
