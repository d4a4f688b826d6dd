import {
  Check,
  advise,
  defineProtocol,
  expectedLines,
  planned,
  recordLine,
  result,
  temporary,
  txtStartingWith,
} from './common';

const TLSRPT_PREFIX = /^v=TLSRPTv1\s*(;|$)/i;

/** TLS-RPT (RFC 8460 §3): one `v=TLSRPTv1` record with a rua. */
const check: Check = async (env) => {
  const [rec] = planned(env, 'tls-rpt');
  const expected = expectedLines(env, 'tls-rpt');
  const r = await env.auth(rec.name, 'TXT');
  if (r.status !== 'ok' && r.status !== 'nodata' && r.status !== 'nxdomain')
    return result('tls-rpt', expected, [], [temporary(rec.name, 'TXT', r)]);
  const found = r.status === 'ok' ? r.records.map(recordLine) : [];
  const records = r.status === 'ok' ? txtStartingWith(r.records, TLSRPT_PREFIX) : [];
  if (records.length === 1 && /(^|;)\s*rua\s*=\s*\S+/i.test(records[0]))
    return result('tls-rpt', expected, found, []);
  const what =
    records.length > 1
      ? {
          fr: 'Plusieurs enregistrements TLS-RPT : aucun rapport ne sera envoyé (RFC 8460 §3). Gardez-en un.',
          en: 'Several TLS-RPT records: no report will be sent (RFC 8460 §3). Keep one.',
        }
      : {
          fr: 'Pas de rapport sur les échecs de chiffrement du courrier reçu.',
          en: 'No reports on encryption failures of received mail.',
        };
  return result('tls-rpt', expected, found, [advise('tls_rpt_missing', what, expected)]);
};

export const tlsRpt = defineProtocol({
  id: 'tls-rpt',
  publish: (settings, domain) => [
    {
      id: 'tls-rpt',
      type: 'TXT',
      name: `_smtp._tls.${domain.name}`,
      value: `v=TLSRPTv1; rua=${settings.tlsRptRua}`,
      purpose: {
        fr: 'Demande des rapports sur les échecs de chiffrement (TLS-RPT).',
        en: 'Asks for reports on encryption failures (TLS-RPT).',
      },
    },
  ],
  check,
});
