import { Check, cnameTo, defineProtocol, expectedLines, planned, result } from './common';

/** `autoconfig.<domain>` for Thunderbird-style automatic setup. */
const check: Check = async (env) => {
  const [rec] = planned(env, 'autoconfig');
  const { found, messages } = await cnameTo(env, rec, {
    fr: 'La configuration automatique (Thunderbird) ne trouvera pas la plateforme.',
    en: 'Automatic setup (Thunderbird) will not find the platform.',
  });
  return result('autoconfig', expectedLines(env, 'autoconfig'), found, messages);
};

export const autoconfig = defineProtocol({
  id: 'autoconfig',
  publish: (settings, domain) => [
    {
      id: 'autoconfig',
      type: 'CNAME',
      name: `autoconfig.${domain.name}`,
      value: settings.autoconfigHost,
      purpose: {
        fr: 'Configure automatiquement Thunderbird et d’autres logiciels de courrier.',
        en: 'Sets up Thunderbird and other mail programs automatically.',
      },
    },
  ],
  check,
});
