import { Check, cnameTo, defineProtocol, expectedLines, planned, result } from './common';

/** `autodiscover.<domain>` for Outlook-style automatic setup. */
const check: Check = async (env) => {
  const [rec] = planned(env, 'autodiscover');
  const { found, messages } = await cnameTo(env, rec, {
    fr: 'La configuration automatique (Outlook, téléphones) ne trouvera pas la plateforme.',
    en: 'Automatic setup (Outlook, phones) will not find the platform.',
  });
  return result('autodiscover', expectedLines(env, 'autodiscover'), found, messages);
};

export const autodiscover = defineProtocol({
  id: 'autodiscover',
  publish: (settings, domain) => [
    {
      id: 'autodiscover',
      type: 'CNAME',
      name: `autodiscover.${domain.name}`,
      value: settings.autoconfigHost,
      purpose: {
        fr: 'Configure automatiquement Outlook et les téléphones.',
        en: 'Sets up Outlook and phones automatically.',
      },
    },
  ],
  check,
});
