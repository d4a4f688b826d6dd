import type { ServiceContext } from '../context';
import { errors } from '../errors';
import { doveadmCall, type DoveadmAnswer } from '../mailstack/doveadm-api';

/** A mailbox's quota as Dovecot counts it (its `User quota` root). */
export interface QuotaUsage {
  usedBytes: number;
  /** null: no storage limit. */
  limitBytes: number | null;
  usedMessages: number;
  /** Dovecot's own rounding of the larger of the storage and message percentages. */
  percent: number;
}

interface QuotaRow {
  type: string;
  value: string;
  limit: string;
  percent: string;
}

const unreachable = (reason: string) =>
  errors.unavailable(
    { reason },
    {
      fr: 'Dovecot ne répond pas : l’occupation des boîtes est inconnue pour l’instant.',
      en: 'Dovecot does not answer: mailbox usage is unknown for now.',
    },
  );

/** `doveadm quota get` reports storage in KiB and "-" for no limit. */
function usageOf(rows: QuotaRow[]): QuotaUsage {
  const storage = rows.find((r) => r.type === 'STORAGE');
  const messages = rows.find((r) => r.type === 'MESSAGE');
  const kib = (v: string | undefined) => (v === undefined || v === '-' ? null : Number(v) * 1024);
  return {
    usedBytes: kib(storage?.value) ?? 0,
    limitBytes: kib(storage?.limit),
    usedMessages: Number(messages?.value ?? 0),
    percent: Math.max(Number(storage?.percent ?? 0), Number(messages?.percent ?? 0)),
  };
}

/**
 * Quota usage of each address, asked of Dovecot's doveadm HTTP API (`quotaGet`, one command per
 * address in one request); null for an address Dovecot does not know. Throws 503 when Dovecot
 * cannot be asked.
 */
export async function quotaUsage(
  ctx: ServiceContext,
  addresses: string[],
): Promise<Map<string, QuotaUsage | null>> {
  const out = new Map<string, QuotaUsage | null>();
  if (addresses.length === 0) return out;
  let answer: DoveadmAnswer[];
  try {
    answer = await doveadmCall(
      ctx,
      addresses.map((user, i) => ['quotaGet', { user }, String(i)]),
    );
  } catch (e) {
    throw unreachable((e as Error).message);
  }
  for (const [kind, payload, tag] of answer) {
    const address = addresses[Number(tag)];
    if (address === undefined) continue;
    out.set(
      address,
      kind === 'doveadmResponse' && Array.isArray(payload) ? usageOf(payload as QuotaRow[]) : null,
    );
  }
  return out;
}
