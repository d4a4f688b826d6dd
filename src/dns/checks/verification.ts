import { verificationRecord } from '../../domains/domains';
import {
  Check,
  defineProtocol,
  expectedLines,
  missing,
  planned,
  recordLine,
  result,
  temporary,
  txtText,
} from './common';

/** Ownership proof: `_giroflee.<domain> TXT "giroflee-verification=<token>"` at the authoritative servers. */
const check: Check = async (env) => {
  const [record] = planned(env, 'verification');
  const expected = expectedLines(env, 'verification');
  const r = await env.auth(record.name, 'TXT');
  if (r.status === 'ok') {
    const found = r.records.map(recordLine);
    if (r.records.some((x) => txtText(x).trim() === record.value))
      return result('verification', expected, found, []);
    if (env.domainStatus !== 'pending') return result('verification', expected, found, [verifiedInfo]);
    return result('verification', expected, found, [
      {
        level: 'error',
        code: 'verification_mismatch',
        text: {
          fr: `L’enregistrement ${record.name} ne contient pas le bon jeton. Publiez : ${expected[0]}`,
          en: `The ${record.name} record does not hold the right token. Publish: ${expected[0]}`,
        },
        publish: expected,
      },
    ]);
  }
  if (r.status === 'nodata' || r.status === 'nxdomain') {
    if (env.domainStatus !== 'pending') return result('verification', expected, [], [verifiedInfo]);
    return result(
      'verification',
      expected,
      [],
      [
        missing(
          {
            fr: 'La preuve de propriété n’est pas publiée.',
            en: 'The ownership proof is not published.',
          },
          expected,
          'verification_missing',
        ),
      ],
    );
  }
  return result('verification', expected, [], [temporary(record.name, 'TXT', r)]);
};

const verifiedInfo = {
  level: 'info' as const,
  code: 'verification_done',
  text: {
    fr: 'La propriété du domaine est déjà prouvée ; l’enregistrement _giroflee peut être retiré.',
    en: 'Ownership of the domain is already proven; the _giroflee record may be removed.',
  },
};

export const verification = defineProtocol({
  id: 'verification',
  publish: (_settings, domain) => [
    {
      id: 'verification',
      ...verificationRecord(domain),
      purpose: {
        fr: 'Prouve que le domaine appartient à votre collectif.',
        en: 'Proves that the domain belongs to your collective.',
      },
    },
  ],
  check,
});
