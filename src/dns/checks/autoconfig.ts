import { Check, cnameTo, expectedLines, planned, result } from './common';

/** `autoconfig.<domain>` for Thunderbird-style automatic setup. */
export const autoconfigCheck: Check = async (env) => {
  const [rec] = planned(env, 'autoconfig');
  const { found, messages } = await cnameTo(env, rec, {
    fr: 'La configuration automatique (Thunderbird) ne trouvera pas la plateforme.',
    en: 'Automatic setup (Thunderbird) will not find the platform.',
  });
  return result('autoconfig', expectedLines(env, 'autoconfig'), found, messages);
};
