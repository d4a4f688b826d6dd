import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE dkim_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      domain_id uuid NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
      selector text NOT NULL CONSTRAINT dkim_keys_selector_format CHECK (selector ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
      algorithm text NOT NULL CONSTRAINT dkim_keys_algorithm CHECK (algorithm IN ('rsa', 'ed25519')),
      -- delegated: the customer's CNAME points into the platform zone, giroflee publishes the key;
      -- txt: the customer publishes the key itself.
      mode text NOT NULL DEFAULT 'delegated' CONSTRAINT dkim_keys_mode CHECK (mode IN ('delegated', 'txt')),
      -- The p= value: base64 SubjectPublicKeyInfo (RSA) or raw key (Ed25519, RFC 8463).
      public_key text NOT NULL,
      -- Master-key envelope of the PKCS#8 PEM; never leaves the server unwrapped but to the signer.
      private_key text NOT NULL,
      state text NOT NULL DEFAULT 'pending'
        CONSTRAINT dkim_keys_state CHECK (state IN ('pending', 'active', 'retiring', 'retired')),
      created_at timestamptz NOT NULL DEFAULT now(),
      activated_at timestamptz,
      retiring_at timestamptz,
      retired_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX dkim_keys_one_active ON dkim_keys (domain_id, algorithm) WHERE state = 'active';
    CREATE UNIQUE INDEX dkim_keys_one_pending ON dkim_keys (domain_id, algorithm) WHERE state = 'pending';
    CREATE UNIQUE INDEX dkim_keys_selector_in_use ON dkim_keys (domain_id, selector) WHERE state <> 'retired';
    CREATE INDEX dkim_keys_state ON dkim_keys (state);

    -- The platform DNS zone caches keys; every copy of giroflee refreshes on this notification.
    CREATE FUNCTION giroflee_dkim_zone_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('giroflee_dkim_zone', '');
      RETURN NULL;
    END $$;
    CREATE TRIGGER dkim_keys_zone_changed AFTER INSERT OR UPDATE OR DELETE ON dkim_keys
      FOR EACH STATEMENT EXECUTE FUNCTION giroflee_dkim_zone_changed();
    CREATE TRIGGER domains_dkim_zone_changed AFTER UPDATE OF status OR DELETE ON domains
      FOR EACH STATEMENT EXECUTE FUNCTION giroflee_dkim_zone_changed();

    -- Last definite check status (unknown results do not count) and when admins were told.
    CREATE TABLE domain_dns_state (
      domain_id uuid PRIMARY KEY REFERENCES domains(id) ON DELETE CASCADE,
      definite_status text NOT NULL CONSTRAINT domain_dns_state_status CHECK (definite_status IN ('ok', 'warning', 'error')),
      -- Set when the domain went from ok to error; cleared once the admins were told.
      notice_due boolean NOT NULL DEFAULT false,
      notified_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE domain_dns_state, dkim_keys;
    DROP TRIGGER domains_dkim_zone_changed ON domains;
    DROP FUNCTION giroflee_dkim_zone_changed();
  `);
}
