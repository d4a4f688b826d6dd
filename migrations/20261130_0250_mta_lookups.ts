import type { Knex } from 'knex';

/**
 * One lookup function per `mta` view, for Postfix's maps and Dovecot's passdb/userdb. Each
 * returns exactly the view's rows for one key (it selects from the view), so the views stay the
 * contract; what changes is the cost. Postfix and Dovecot send every lookup as a plain SQL
 * string, which PostgreSQL parses and plans anew each time: planning the views' joins cost
 * several times more than running them (mta.aliases: ≈ 0.3 ms of planning per lookup, and Postfix
 * makes four alias lookups per received message). PL/pgSQL keeps the plan of the query inside a
 * function for the life of the connection, and Postfix and Dovecot keep their connections, so a
 * lookup costs what a lookup in a plain table does. STABLE: they read the calling statement's
 * snapshot, like the views.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION mta.domain_lookup(key text) RETURNS SETOF mta.domains
      LANGUAGE plpgsql STABLE AS $$
      BEGIN RETURN QUERY SELECT * FROM mta.domains WHERE domain = key; END $$;

    CREATE FUNCTION mta.mailbox_lookup(key text) RETURNS SETOF mta.mailboxes
      LANGUAGE plpgsql STABLE AS $$
      BEGIN RETURN QUERY SELECT * FROM mta.mailboxes WHERE address = key; END $$;

    CREATE FUNCTION mta.alias_lookup(key text) RETURNS SETOF mta.aliases
      LANGUAGE plpgsql STABLE AS $$
      BEGIN RETURN QUERY SELECT * FROM mta.aliases WHERE source = key; END $$;

    CREATE FUNCTION mta.sender_login_lookup(key text) RETURNS SETOF mta.sender_logins
      LANGUAGE plpgsql STABLE AS $$
      BEGIN RETURN QUERY SELECT * FROM mta.sender_logins WHERE sender = key; END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION mta.sender_login_lookup(text);
    DROP FUNCTION mta.alias_lookup(text);
    DROP FUNCTION mta.mailbox_lookup(text);
    DROP FUNCTION mta.domain_lookup(text);
  `);
}
