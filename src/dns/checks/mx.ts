import type { CheckMessage } from './common';
import { Check, defineProtocol, expectedLines, missing, recordLine, result, temporary } from './common';

/** MX: every MX of the domain is a platform host (RFC 5321 §5.1). */
const check: Check = async (env) => {
  const expected = expectedLines(env, 'mx');
  const messages: CheckMessage[] = [];
  const [cname, mx] = await Promise.all([env.auth(env.domain, 'CNAME'), env.auth(env.domain, 'MX')]);
  const found: string[] = [];
  if (cname.status === 'ok') {
    found.push(...cname.records.map(recordLine));
    messages.push({
      level: 'error',
      code: 'cname_at_apex',
      text: {
        fr: `Le domaine ${env.domain} lui-même est un CNAME (vers ${cname.records[0].value}). Un CNAME ne peut cohabiter avec aucun autre enregistrement : ni MX, ni SPF ne peuvent exister à côté. Remplacez-le par des enregistrements A/AAAA, puis publiez : ${expected.join(' ; ')}`,
        en: `The domain ${env.domain} itself is a CNAME (to ${cname.records[0].value}). A CNAME cannot live beside any other record, so neither MX nor SPF can exist there. Replace it with A/AAAA records, then publish: ${expected.join('; ')}`,
      },
      publish: expected,
    });
  }
  if (mx.status === 'ok') {
    found.push(...mx.records.map(recordLine));
    const ours = new Set(env.settings.mxHosts);
    const hosts = mx.records.map((r) => (r.type === 'MX' ? r.value.exchange : ''));
    const foreign = hosts.filter((h) => !ours.has(h));
    if (foreign.length === hosts.length) {
      messages.push({
        level: 'error',
        code: 'mx_foreign',
        text: {
          fr: `Le courrier du domaine va ailleurs (${foreign.join(', ')}), pas vers la plateforme. Remplacez les MX par : ${expected.join(' ; ')}`,
          en: `The domain’s mail goes elsewhere (${foreign.join(', ')}), not to the platform. Replace the MX records with: ${expected.join('; ')}`,
        },
        publish: expected,
      });
    } else if (foreign.length) {
      messages.push({
        level: 'warning',
        code: 'mx_mixed',
        text: {
          fr: `Certains MX ne sont pas ceux de la plateforme (${foreign.join(', ')}) : une partie du courrier n’arrivera pas ici. Retirez-les.`,
          en: `Some MX records are not the platform’s (${foreign.join(', ')}): part of the mail will not arrive here. Remove them.`,
        },
      });
    }
  } else if (mx.status === 'nodata' || mx.status === 'nxdomain') {
    if (cname.status !== 'ok')
      messages.push(
        missing(
          {
            fr: 'Aucun MX : le domaine ne peut pas recevoir de courrier.',
            en: 'No MX: the domain cannot receive mail.',
          },
          expected,
          'mx_missing',
        ),
      );
  } else {
    messages.push(temporary(env.domain, 'MX', mx));
  }
  return result('mx', expected, found, messages);
};

export const mx = defineProtocol({
  id: 'mx',
  publish: (settings, domain) =>
    settings.mxHosts.map((host, i) => ({
      id: `mx-${i + 1}`,
      type: 'MX' as const,
      name: domain.name,
      value: `${10 * (i + 1)} ${host}`,
      purpose: { fr: 'Reçoit le courrier du domaine.', en: 'Receives the domain’s mail.' },
    })),
  check,
});
