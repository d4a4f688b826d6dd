import { PRODUCTION_CLIENT_PORTS } from '../../config';
import { zoneLine } from '../zone-file';
import type { CheckMessage } from './common';
import {
  advise,
  Check,
  defineProtocol,
  expectedLines,
  planned,
  recordLine,
  result,
  temporary,
} from './common';

/** RFC 6186 / RFC 8314 §5.1 service records for IMAP and submission. */
const check: Check = async (env) => {
  const found: string[] = [];
  const messages: CheckMessage[] = [];
  await Promise.all(
    planned(env, 'srv').map(async (rec) => {
      const r = await env.auth(rec.name, 'SRV');
      const [, , port, target] = rec.value.split(' ');
      if (r.status === 'ok') {
        found.push(...r.records.map(recordLine));
        const good = r.records.some(
          (x) => x.type === 'SRV' && x.value.target === target && x.value.port === Number(port),
        );
        if (good) return;
      } else if (r.status !== 'nodata' && r.status !== 'nxdomain') {
        messages.push(temporary(rec.name, 'SRV', r));
        return;
      }
      messages.push(
        advise(
          `${rec.id}_missing`,
          {
            fr: `Les logiciels de courrier ne trouveront pas le service ${rec.name.split('.')[0]} par eux-mêmes.`,
            en: `Mail programs will not find the ${rec.name.split('.')[0]} service by themselves.`,
          },
          [zoneLine(rec)],
        ),
      );
    }),
  );
  return result('srv', expectedLines(env, 'srv'), found.sort(), messages);
};

const { imaps, submissions, submission } = PRODUCTION_CLIENT_PORTS;

// RFC 6186 §3 and RFC 8314 §5.1: the services production serves (src/mailstack/render-*.ts),
// implicit TLS preferred by priority; the same ports autoconfig and autodiscover announce.
export const srv = defineProtocol({
  id: 'srv',
  publish: (settings, domain) => [
    {
      id: 'srv-submissions',
      type: 'SRV',
      name: `_submissions._tcp.${domain.name}`,
      value: `0 1 ${submissions} ${settings.submissionHost}`,
      purpose: {
        fr: `Indique aux logiciels de courrier le serveur d’envoi (port ${submissions}, chiffré).`,
        en: `Tells mail programs where to send mail (port ${submissions}, encrypted).`,
      },
    },
    {
      id: 'srv-submission',
      type: 'SRV',
      name: `_submission._tcp.${domain.name}`,
      value: `10 1 ${submission} ${settings.submissionHost}`,
      purpose: {
        fr: `Serveur d’envoi de repli (port ${submission}, chiffrement STARTTLS), pour les logiciels qui ignorent le port ${submissions}.`,
        en: `Fallback sending server (port ${submission}, STARTTLS encryption), for programs that do not know port ${submissions}.`,
      },
    },
    {
      id: 'srv-imaps',
      type: 'SRV',
      name: `_imaps._tcp.${domain.name}`,
      value: `0 1 ${imaps} ${settings.imapHost}`,
      purpose: {
        fr: `Indique aux logiciels de courrier le serveur de lecture (IMAP, port ${imaps}, chiffré).`,
        en: `Tells mail programs where to read mail (IMAP, port ${imaps}, encrypted).`,
      },
    },
  ],
  check,
});
