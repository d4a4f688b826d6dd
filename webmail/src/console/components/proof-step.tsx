import { useEffect, useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { consoleError } from '../lib/errors';
import type { Domain, PlannedRecord, VerifyOutcome } from '../lib/types';
import { AUTO_RECHECK_MS } from './dns-checklist';
import { CopyButton } from '../../ui/copy-button';
import { RecordCard } from './record-card';
import { StatusBadge } from './status-badge';

/**
 * Step one of linking a domain: publish the ownership TXT record, then "Vérifier maintenant"
 * looks for it at the domain's own nameservers. The page also looks again by itself while it is
 * open; the moment the proof is seen, the domain becomes active.
 */
export function ProofStep(props: {
  domain: Domain;
  records: PlannedRecord[];
  zone: string;
  onVerified: () => void;
}) {
  const { t, language } = useI18n();
  const [outcome, setOutcome] = useState<VerifyOutcome | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const running = useRef(false);
  const proof = props.records.find((r) => r.id === 'verification');

  const verify = async (quiet: boolean) => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setError('');
    try {
      const result = await api<VerifyOutcome>(
        'POST',
        `/domains/${encodeURIComponent(props.domain.name)}/verify`,
      );
      setOutcome(result);
      if (result.verified) {
        announce(t('console:proof.verified', { name: props.domain.unicodeName }));
        props.onVerified();
      } else if (!quiet) {
        announce(t('console:proof.notYet'));
      }
    } catch (e) {
      setError(consoleError(e));
    } finally {
      running.current = false;
      setBusy(false);
    }
  };

  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void verify(true);
    }, AUTO_RECHECK_MS);
    return () => clearInterval(timer);
  }, [props.domain.name]);

  return (
    <section class="card proof" aria-labelledby="proof-title">
      <h2 id="proof-title">{t('console:proof.title')}</h2>
      <p>{t('console:proof.intro', { name: props.domain.unicodeName })}</p>
      <ol class="steps">
        <li>{t('console:proof.step1')}</li>
        <li>{t('console:proof.step2')}</li>
        <li>{t('console:proof.step3')}</li>
      </ol>
      {proof && <RecordCard record={proof} domain={props.domain.name} />}
      <p class="hint">{t('console:proof.nameHint', { domain: props.domain.name })}</p>
      <details class="zone-snippet">
        <summary>{t('console:proof.zoneSummary')}</summary>
        <p>{t('console:proof.zoneIntro')}</p>
        <pre class="zone" tabIndex={0} aria-label={t('console:proof.zoneLabel')}>
          {props.zone}
        </pre>
        <CopyButton text={props.zone} label={t('console:proof.copyZone')} />
      </details>
      <div class="toolbar">
        <button type="button" class="button button-primary" onClick={() => void verify(false)}>
          {busy ? t('console:proof.verifying') : t('console:proof.verifyNow')}
        </button>
        <span class="muted">{t('console:proof.auto', { seconds: AUTO_RECHECK_MS / 1000 })}</span>
      </div>
      {error && <Alert kind="error">{error}</Alert>}
      {outcome && !outcome.verified && (
        <div class="proof-result">
          <p>
            <StatusBadge status={outcome.check.status} label={t('console:proof.notFound')} />
          </p>
          <ul class="messages">
            {outcome.check.messages.map((m, i) => (
              <li key={i} class={`message message-${m.level}`}>
                {m.text[language]}
              </li>
            ))}
          </ul>
          {outcome.check.found.length > 0 && (
            <>
              <h3>{t('console:checklist.found')}</h3>
              <pre class="zone">{outcome.check.found.join('\n')}</pre>
            </>
          )}
          <p>{t('console:proof.patience')}</p>
        </div>
      )}
    </section>
  );
}
