import type { ServiceContext } from '../context';

export interface Identity {
  address: string;
  name: string;
  /** The mailbox's own address, as opposed to an alias that delivers to it. */
  primary: boolean;
}

/**
 * The addresses a mailbox may send as: its own, and every alias of an active domain that
 * delivers to it (the same rule as Postfix's smtpd_sender_login_maps over the `mta` views).
 */
export async function listIdentities(
  ctx: ServiceContext,
  mailbox: { id: string; address: string },
): Promise<Identity[]> {
  const row = await ctx.db('mailboxes').where({ id: mailbox.id }).first('display_name');
  const aliases: Array<{ local_part: string; name: string }> = await ctx
    .db('aliases as a')
    .join('domains as d', 'd.id', 'a.domain_id')
    .where('d.status', 'active')
    .whereRaw('? = ANY(a.destinations)', [mailbox.address])
    .whereNot('a.local_part', '*')
    .orderBy(['d.name', 'a.local_part'])
    .select('a.local_part', 'd.name');
  return [
    { address: mailbox.address, name: row?.display_name ?? '', primary: true },
    ...aliases.map((a) => ({
      address: `${a.local_part}@${a.name}`,
      name: row?.display_name ?? '',
      primary: false,
    })),
  ];
}
