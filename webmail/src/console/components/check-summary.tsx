import { useI18n } from '../../shell/i18n';
import { formatRelative } from '../lib/format';
import type { Domain } from '../lib/types';
import { StateBadge, StatusBadge } from './status-badge';

/** A domain's state at a glance: pending proof, suspended, or its last check's worst status. */
export function DomainStateBadge(props: { domain: Domain }) {
  const { t } = useI18n();
  const d = props.domain;
  if (d.status === 'pending') return <StateBadge tone="warning" label={t('console:domainStatus.pending')} />;
  if (d.status === 'suspended')
    return <StateBadge tone="error" label={t('console:domainStatus.suspended')} />;
  if (!d.lastCheck) return <StatusBadge status="unknown" label={t('console:domainStatus.neverChecked')} />;
  return (
    <StatusBadge status={d.lastCheck.status} label={t(`console:domainStatus.check.${d.lastCheck.status}`)} />
  );
}

export function LastChecked(props: { at: string | null }) {
  const { t, language } = useI18n();
  if (!props.at) return <>{t('console:domain.neverChecked')}</>;
  return <time dateTime={props.at}>{formatRelative(props.at, language)}</time>;
}
