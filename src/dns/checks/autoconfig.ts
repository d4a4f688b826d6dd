import { platformHostProtocol } from './common';

/** `autoconfig.<domain>` for Thunderbird-style automatic setup. */
export const autoconfig = platformHostProtocol(
  'autoconfig',
  {
    fr: 'Configure automatiquement Thunderbird et d’autres logiciels de courrier.',
    en: 'Sets up Thunderbird and other mail programs automatically.',
  },
  {
    fr: 'La configuration automatique (Thunderbird) ne trouvera pas la plateforme.',
    en: 'Automatic setup (Thunderbird) will not find the platform.',
  },
);
