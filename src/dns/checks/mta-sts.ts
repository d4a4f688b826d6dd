import crypto from 'node:crypto';
import type { DnsSettings } from '../../config';
import type { CheckMessage } from './common';
import {
  Check,
  advise,
  defineProtocol,
  cnameTo,
  expectedLines,
  planned,
  recordLine,
  result,
  temporary,
  txtStartingWith,
} from './common';

const STS_PREFIX = /^v=STSv1\s*(;|$)/i;

/** The MTA-STS policy file (RFC 8461 §3.2) served at https://mta-sts.<domain>/.well-known/mta-sts.txt. */
export function mtaStsPolicy(settings: DnsSettings): string {
  const lines = ['version: STSv1', `mode: ${settings.mtaStsMode}`];
  for (const mx of settings.mxHosts) lines.push(`mx: ${mx}`);
  lines.push(`max_age: ${settings.mtaStsMode === 'enforce' ? 604800 : 86400}`);
  return lines.join('\r\n') + '\r\n';
}

/** RFC 8461 §3.1: the id changes whenever the policy does; here it is derived from the policy text. */
const mtaStsId = (settings: DnsSettings): string =>
  crypto.createHash('sha256').update(mtaStsPolicy(settings)).digest('hex').slice(0, 20);

/** MTA-STS (RFC 8461 §3.1): `_mta-sts` TXT with the current policy id, and the policy host. */
const check: Check = async (env) => {
  const expected = expectedLines(env, 'mta-sts');
  const records = planned(env, 'mta-sts');
  if (records.length === 0) return result('mta-sts', [], [], []);
  const [txtRec, hostRec] = records;
  const [r, host] = await Promise.all([
    env.auth(txtRec.name, 'TXT'),
    cnameTo(env, hostRec, {
      fr: 'La politique MTA-STS ne peut pas être lue par les serveurs d’envoi.',
      en: 'Sending servers cannot fetch the MTA-STS policy.',
    }),
  ]);
  const messages: CheckMessage[] = [...host.messages];
  const found = [...host.found];
  if (r.status === 'ok') found.push(...r.records.map(recordLine));
  if (r.status !== 'ok' && r.status !== 'nodata' && r.status !== 'nxdomain') {
    messages.push(temporary(txtRec.name, 'TXT', r));
  } else {
    const sts = r.status === 'ok' ? txtStartingWith(r.records, STS_PREFIX) : [];
    const id = /(^|;)\s*id\s*=\s*([A-Za-z0-9]{1,32})\s*(;|$)/.exec(sts[0] ?? '')?.[2];
    if (sts.length === 0) {
      messages.push(
        advise(
          'mta_sts_missing',
          {
            fr: 'Sans MTA-STS, le courrier vers le domaine peut être intercepté en clair.',
            en: 'Without MTA-STS, mail to the domain can be intercepted in clear text.',
          },
          [expectedLines(env, 'mta-sts')[0]],
        ),
      );
    } else if (sts.length > 1 || id !== mtaStsId(env.settings)) {
      messages.push(
        advise(
          'mta_sts_outdated',
          {
            fr: 'L’identifiant MTA-STS ne correspond pas à la politique actuelle : les serveurs d’envoi garderont l’ancienne.',
            en: 'The MTA-STS id does not match the current policy: sending servers will keep the old one.',
          },
          [expectedLines(env, 'mta-sts')[0]],
        ),
      );
    }
  }
  return result('mta-sts', expected, found.sort(), messages);
};

/** Nothing to publish when the platform serves no policy (mode none). */
export const mtaSts = defineProtocol({
  id: 'mta-sts',
  publish: (settings, domain) =>
    settings.mtaStsMode === 'none'
      ? []
      : [
          {
            id: 'mta-sts',
            type: 'TXT',
            name: `_mta-sts.${domain.name}`,
            value: `v=STSv1; id=${mtaStsId(settings)}`,
            purpose: {
              fr: 'Annonce que le courrier vers le domaine doit voyager chiffré (MTA-STS).',
              en: 'Announces that mail to the domain must travel encrypted (MTA-STS).',
            },
          },
          {
            id: 'mta-sts-host',
            type: 'CNAME',
            name: `mta-sts.${domain.name}`,
            value: settings.autoconfigHost,
            purpose: {
              fr: 'Publie la politique MTA-STS, servie par la plateforme.',
              en: 'Publishes the MTA-STS policy, served by the platform.',
            },
          },
        ],
  check,
});
