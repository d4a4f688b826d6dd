import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE collectives (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      slug text NOT NULL CONSTRAINT collectives_slug_unique UNIQUE
        CONSTRAINT collectives_slug_format CHECK (slug ~ '^([a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])$'),
      name text NOT NULL CONSTRAINT collectives_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE accounts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL CONSTRAINT accounts_email_unique UNIQUE
        CONSTRAINT accounts_email_lowercase CHECK (email = lower(email) AND email LIKE '%_@_%'),
      password_hash text NOT NULL,
      is_racine boolean NOT NULL DEFAULT false,
      must_change_password boolean NOT NULL DEFAULT false,
      totp_secret text,
      totp_enabled boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT accounts_totp_needs_secret CHECK (NOT totp_enabled OR totp_secret IS NOT NULL)
    );

    CREATE TABLE memberships (
      account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      collective_id uuid NOT NULL REFERENCES collectives(id) ON DELETE CASCADE,
      role text NOT NULL CONSTRAINT memberships_role CHECK (role IN ('admin', 'member')),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT memberships_pkey PRIMARY KEY (account_id, collective_id)
    );
    CREATE INDEX memberships_collective ON memberships (collective_id);

    CREATE TABLE domains (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CONSTRAINT domains_name_format
        CHECK (name = lower(name) AND char_length(name) BETWEEN 3 AND 253),
      collective_id uuid NOT NULL CONSTRAINT domains_collective_fk REFERENCES collectives(id) ON DELETE RESTRICT,
      status text NOT NULL DEFAULT 'pending' CONSTRAINT domains_status CHECK (status IN ('pending', 'active', 'suspended')),
      verification_token text NOT NULL,
      verified_at timestamptz,
      last_check jsonb,
      last_checked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT domains_claim_unique UNIQUE (collective_id, name)
    );
    -- Several collectives may claim a name while pending; only one may hold it.
    CREATE UNIQUE INDEX domains_held_unique ON domains (name) WHERE status <> 'pending';
    CREATE INDEX domains_name ON domains (name);

    CREATE TABLE mailboxes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      domain_id uuid NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
      local_part text NOT NULL CONSTRAINT mailboxes_local_part_format
        CHECK (local_part = lower(local_part) AND char_length(local_part) BETWEEN 1 AND 64),
      -- Filled by trigger from the domain's name: the key every MTA lookup uses.
      address text NOT NULL,
      display_name text CONSTRAINT mailboxes_display_name_length CHECK (char_length(display_name) <= 200),
      password_hash text NOT NULL,
      quota_bytes bigint NOT NULL DEFAULT 1073741824 CONSTRAINT mailboxes_quota_positive CHECK (quota_bytes > 0),
      status text NOT NULL DEFAULT 'active' CONSTRAINT mailboxes_status CHECK (status IN ('active', 'disabled')),
      encryption_mode text NOT NULL DEFAULT 'generated'
        CONSTRAINT mailboxes_encryption_mode CHECK (encryption_mode IN ('generated', 'public-key', 'none')),
      protected_subject boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT mailboxes_address_unique UNIQUE (domain_id, local_part)
    );

    CREATE TABLE aliases (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      domain_id uuid NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
      -- '*' is the catch-all of the domain.
      local_part text NOT NULL CONSTRAINT aliases_local_part_format
        CHECK (local_part = lower(local_part) AND char_length(local_part) BETWEEN 1 AND 64),
      -- Filled by trigger: 'local@domain', or '@domain' for the catch-all (Postfix's key).
      source text NOT NULL,
      destinations text[] NOT NULL CONSTRAINT aliases_destinations_present CHECK (cardinality(destinations) BETWEEN 1 AND 100),
      system boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT aliases_source_unique UNIQUE (domain_id, local_part)
    );

    CREATE INDEX mailboxes_address ON mailboxes (address);
    CREATE INDEX mailboxes_domain_local_part ON mailboxes (domain_id, local_part);
    CREATE INDEX aliases_source ON aliases (source);
    CREATE INDEX aliases_destinations ON aliases USING gin (destinations);

    CREATE FUNCTION giroflee_fill_address() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE domain_name text;
    BEGIN
      SELECT name INTO domain_name FROM domains WHERE id = NEW.domain_id;
      IF TG_TABLE_NAME = 'mailboxes' THEN
        NEW.address := NEW.local_part || '@' || domain_name;
      ELSIF NEW.local_part = '*' THEN
        NEW.source := '@' || domain_name;
      ELSE
        NEW.source := NEW.local_part || '@' || domain_name;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER mailboxes_fill_address BEFORE INSERT OR UPDATE OF local_part, domain_id ON mailboxes
      FOR EACH ROW EXECUTE FUNCTION giroflee_fill_address();
    CREATE TRIGGER aliases_fill_source BEFORE INSERT OR UPDATE OF local_part, domain_id ON aliases
      FOR EACH ROW EXECUTE FUNCTION giroflee_fill_address();

    CREATE TABLE api_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      collective_id uuid NOT NULL REFERENCES collectives(id) ON DELETE CASCADE,
      name text NOT NULL CONSTRAINT api_tokens_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
      token_hash text NOT NULL CONSTRAINT api_tokens_hash_unique UNIQUE,
      created_by uuid REFERENCES accounts(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    );

    CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash text NOT NULL CONSTRAINT sessions_hash_unique UNIQUE,
      account_id uuid REFERENCES accounts(id) ON DELETE CASCADE,
      mailbox_id uuid REFERENCES mailboxes(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      CONSTRAINT sessions_one_subject CHECK ((account_id IS NULL) <> (mailbox_id IS NULL))
    );

    -- Failed logins by login name (hashed), shared by every giroflee copy. Never keyed by IP.
    CREATE TABLE login_throttle (
      key_hash text PRIMARY KEY,
      failures integer NOT NULL DEFAULT 0,
      blocked_until timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- No foreign keys: the log outlives what it speaks of. Never an IP address.
    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_type text NOT NULL,
      actor_id text,
      actor_label text NOT NULL,
      collective_id uuid,
      action text NOT NULL,
      target_type text NOT NULL,
      target_id text,
      details jsonb NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
    CREATE INDEX audit_log_collective_at ON audit_log (collective_id, at DESC);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE audit_log, login_throttle, sessions, api_tokens, aliases, mailboxes, domains, memberships, accounts, collectives;
    DROP FUNCTION giroflee_fill_address();
  `);
}
