import { mtaStsId } from '../record-plan';
import type { CheckMessage } from './common';
import {
  Check,
  advise,
  cnameTo,
  expectedLines,
  planned,
  recordLine,
  result,
  temporary,
  txtStartingWith,
} from './common';

const STS_PREFIX = /^v=STSv1\s*(;|$)/i;

/** MTA-STS (RFC 8461 §3.1): `_mta-sts` TXT with the current policy id, and the policy host. */
export const mtaStsCheck: Check = async (env) => {
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
