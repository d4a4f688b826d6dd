import '../console.css';
import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { api, apiRaw } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Screen } from '../../ui/screen';
import { DomainStateBadge } from '../components/check-summary';
import { ConfirmDialog } from '../components/confirm-dialog';
import { DkimSection } from '../components/dkim-section';
import { DnsChecklist } from '../components/dns-checklist';
import { Breadcrumbs, collectivePath, DomainTabs } from '../components/layout';
import { LoadState } from '../components/load-state';
import { ProofStep } from '../components/proof-step';
import { canManage, isAccount } from '../lib/access';
import type { CheckReport, Domain, PlannedRecord } from '../lib/types';
import { useLoad } from '../lib/use-load';

/**
 * The heart of the console: linking a domain. While the domain is pending, the ownership proof
 * to publish and "Vérifier maintenant"; then the checklist of every record, re-checked while
 * the page is open; its DKIM keys; and, for its admins, deleting it.
 */
export default function DomainScreen(props: { params: { name: string } }) {
  const { t } = useI18n();
  const { me } = useSession();
  const { route } = useLocation();
  const name = props.params.name;
  const path = `/domains/${encodeURIComponent(name)}`;
  const [confirmDelete, setConfirmDelete] = useState(false);
  // The checklist's latest report, newer than the one stored with the domain when it ran.
  const [report, setReport] = useState<CheckReport | null>(null);
  const state = useLoad(
    async (signal) => {
      const [domain, records, zone] = await Promise.all([
        api<Domain>('GET', path, { signal }),
        api<PlannedRecord[]>('GET', `${path}/records`, { signal }),
        apiRaw('GET', `${path}/records`, { signal, accept: 'text/dns' }).then((r) => r.text()),
      ]);
      return { domain, records, zone };
    },
    [name],
  );
  const domain = state.data?.domain;
  const slug = domain?.collective;
  const collectiveName = (isAccount(me) && me.memberships.find((m) => m.slug === slug)?.name) || slug || '';
  const admin = canManage(me, slug);

  return (
    <Screen title={domain?.unicodeName ?? name}>
      <Breadcrumbs
        items={[
          { href: '/console', label: t('console:nav.home') },
          ...(slug ? [{ href: collectivePath(slug), label: collectiveName }] : []),
          { label: domain?.unicodeName ?? name },
        ]}
      />
      <DomainTabs name={name} />
      <LoadState state={state}>
        {({ domain, records, zone }) => (
          <>
            <p class="domain-state">
              {t('console:domain.state')}{' '}
              <DomainStateBadge
                domain={report && domain.status === 'active' ? { ...domain, lastCheck: report } : domain}
              />
              {domain.unicodeName !== domain.name && (
                <span class="muted"> {t('console:domain.asciiName', { name: domain.name })}</span>
              )}
            </p>
            {domain.status === 'pending' && (
              <ProofStep domain={domain} records={records} zone={zone} onVerified={state.reload} />
            )}
            <DnsChecklist
              key={domain.status}
              domain={domain.name}
              records={records}
              initial={domain.lastCheck}
              checkOnOpen={domain.status === 'active'}
              onReport={setReport}
              pending={domain.status === 'pending'}
            />
            {domain.status !== 'pending' && (
              <DkimSection
                domain={domain.name}
                canManage={admin}
                onChanged={state.reload}
                checkedAt={report?.checkedAt}
              />
            )}
            {admin && (
              <section class="card danger-zone" aria-labelledby="domain-delete-title">
                <h2 id="domain-delete-title">{t('console:domain.deleteTitle')}</h2>
                <p>{t('console:domain.deleteWhat')}</p>
                <button type="button" class="button button-danger" onClick={() => setConfirmDelete(true)}>
                  {t('console:domain.delete', { name: domain.unicodeName })}
                </button>
              </section>
            )}
            {confirmDelete && (
              <ConfirmDialog
                title={t('console:domain.deleteConfirmTitle', { name: domain.unicodeName })}
                confirmLabel={t('console:domain.deleteConfirm')}
                danger
                typeToConfirm={domain.name}
                onConfirm={async () => {
                  await api('DELETE', path);
                  route(slug ? collectivePath(slug) : '/console');
                }}
                onClose={() => setConfirmDelete(false)}
              >
                <p>{t('console:domain.deleteConsequences')}</p>
              </ConfirmDialog>
            )}
          </>
        )}
      </LoadState>
    </Screen>
  );
}
