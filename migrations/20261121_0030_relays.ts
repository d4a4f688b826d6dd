import type { Knex } from 'knex';

/**
 * The outbound relay pool. A `direct` relay hands mail back to Postfix for MX delivery, so it
 * has no host of its own; a `smarthost` always has one. Plain SMTP (tls_mode 'none') is only
 * allowed towards loopback: a password or a message never crosses a network in clear.
 */
export async function up(knex: Knex): Promise<void> {
  // No '?' in this SQL: knex.raw would read it as a binding placeholder.
  await knex.raw(`
    CREATE TABLE relays (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CONSTRAINT relays_name_unique UNIQUE
        CONSTRAINT relays_name_format CHECK (name ~ '^([a-z0-9]|[a-z0-9][a-z0-9._-]{0,62}[a-z0-9])$'),
      kind text NOT NULL CONSTRAINT relays_kind CHECK (kind IN ('smarthost', 'direct')),
      host text,
      port integer CONSTRAINT relays_port_range CHECK (port BETWEEN 1 AND 65535),
      tls_mode text NOT NULL DEFAULT 'starttls' CONSTRAINT relays_tls_mode CHECK (tls_mode IN ('implicit', 'starttls', 'none')),
      username text CONSTRAINT relays_username_length CHECK (char_length(username) BETWEEN 1 AND 320),
      -- master-key envelope, context relays.password:<id>
      password text,
      priority integer NOT NULL DEFAULT 100 CONSTRAINT relays_priority_range CHECK (priority BETWEEN 0 AND 10000),
      role text NOT NULL DEFAULT 'primary' CONSTRAINT relays_role CHECK (role IN ('primary', 'fallback')),
      state text NOT NULL DEFAULT 'active' CONSTRAINT relays_state CHECK (state IN ('active', 'draining', 'disabled')),
      health_status text NOT NULL DEFAULT 'unknown' CONSTRAINT relays_health_status CHECK (health_status IN ('up', 'down', 'unknown')),
      health_checked_at timestamptz,
      health_latency_ms integer,
      health_error text,
      dnsbl_listings jsonb NOT NULL DEFAULT '[]'::jsonb,
      sending_ips text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT relays_host_by_kind CHECK ((kind = 'smarthost') = (host IS NOT NULL AND port IS NOT NULL)),
      CONSTRAINT relays_plain_only_loopback CHECK (
        tls_mode <> 'none' OR kind = 'direct' OR host = 'localhost' OR host = '::1' OR host ~ '^127\\.'
      ),
      CONSTRAINT relays_password_needs_user CHECK (password IS NULL OR username IS NOT NULL)
    );
    CREATE INDEX relays_routing ON relays (state, role, priority);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE relays');
}
