import { platformHostProtocol } from './common';

/** `autodiscover.<domain>` for Outlook-style automatic setup. */
export const autodiscover = platformHostProtocol(
  'autodiscover',
  {
    fr: 'Configure automatiquement Outlook et les téléphones.',
    en: 'Sets up Outlook and phones automatically.',
  },
  {
    fr: 'La configuration automatique (Outlook, téléphones) ne trouvera pas la plateforme.',
    en: 'Automatic setup (Outlook, phones) will not find the platform.',
  },
);
