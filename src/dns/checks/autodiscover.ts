import { Check, cnameTo, expectedLines, planned, result } from './common';

/** `autodiscover.<domain>` for Outlook-style automatic setup. */
export const autodiscoverCheck: Check = async (env) => {
  const [rec] = planned(env, 'autodiscover');
  const { found, messages } = await cnameTo(env, rec, {
    fr: 'La configuration automatique (Outlook, téléphones) ne trouvera pas la plateforme.',
    en: 'Automatic setup (Outlook, phones) will not find the platform.',
  });
  return result('autodiscover', expectedLines(env, 'autodiscover'), found, messages);
};
