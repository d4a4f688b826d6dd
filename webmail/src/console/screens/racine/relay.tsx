import '../../console.css';
import { useLocation } from 'preact-iso';
import { useRef, useState } from 'preact/hooks';
import { announce } from '../../../shell/announce';
import { api } from '../../../shell/api';
import { useI18n } from '../../../shell/i18n';
import { Alert } from '../../../ui/alert';
import { TextField } from '../../../ui/field';
import { Screen } from '../../../ui/screen';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { Breadcrumbs, Only } from '../../components/layout';
import { LoadState } from '../../components/load-state';
import { CircuitBadge, DnsblHits, RelayHealthBadge, RelayStateBadge } from '../../components/relay-health';
import { formatDateTime } from '../../lib/format';
import type { HealthItem, Relay } from '../../lib/types';
import { useLoad } from '../../lib/use-load';

type Dialog = 'promote' | 'drain' | 'resume' | 'disable' | 'credentials' | 'priority' | 'remove' | null;

/** Racine: one relay, its health, and every act on it, each confirmed (the API audits them). */
export default function RelayScreen(props: { params: { relay: string } }) {
  const { t, language } = useI18n();
  const { route } = useLocation();
  const name = props.params.relay;
  const path = `/relays/${encodeURIComponent(name)}`;
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState('');
  const state = useLoad((signal) => api<Relay>('GET', path, { signal }), [name]);
  const say = (text: string) => {
    setNotice(text);
    announce(text);
  };
  const act = (method: string, suffix: string, body: unknown, doneKey: string) => async () => {
    const relay = await api<Relay>(method, `${path}${suffix}`, body === undefined ? {} : { body });
    state.set(relay);
    say(t(doneKey, { name }));
  };
  return (
    <Screen title={t('console:relay.title', { name })}>
      <Breadcrumbs
        items={[
          { href: '/console', label: t('console:nav.home') },
          { href: '/console/racine/relays', label: t('console:nav.relays') },
          { label: name },
        ]}
      />
      <Only racine>
        {notice && <Alert kind="success">{notice}</Alert>}
        <LoadState state={state}>
          {(r) => (
            <>
              <dl class="facts">
                <div>
                  <dt>{t('console:relays.columns.state')}</dt>
                  <dd>
                    <RelayStateBadge relay={r} />
                  </dd>
                </div>
                <div>
                  <dt>{t('console:relays.columns.role')}</dt>
                  <dd>
                    {t(`console:relays.roles.${r.role}`)} ·{' '}
                    {t('console:relays.priorityShort', { priority: r.priority })}
                  </dd>
                </div>
                <div>
                  <dt>{t('console:relay.target')}</dt>
                  <dd>
                    {r.kind === 'direct'
                      ? t('console:relays.kinds.direct')
                      : `${r.host}:${r.port} · ${t(`console:relays.tlsModes.${r.tlsMode ?? 'starttls'}`)}`}
                  </dd>
                </div>
                {r.kind === 'smarthost' && (
                  <div>
                    <dt>{t('console:relays.username')}</dt>
                    <dd>
                      {r.username ?? '—'}{' '}
                      {r.hasPassword ? t('console:relay.hasPassword') : t('console:relay.noPassword')}
                    </dd>
                  </div>
                )}
                <div>
                  <dt>{t('console:relays.columns.health')}</dt>
                  <dd>
                    <RelayHealthBadge relay={r} />
                    {r.health.error && <span class="muted"> {r.health.error}</span>}
                  </dd>
                </div>
                <div>
                  <dt>{t('console:relays.columns.circuit')}</dt>
                  <dd>
                    <CircuitBadge relay={r} />
                  </dd>
                </div>
                <div>
                  <dt>{t('console:relays.columns.latency')}</dt>
                  <dd>
                    {r.health.latencyMs === null
                      ? '—'
                      : t('console:relays.ms', { value: r.health.latencyMs })}
                  </dd>
                </div>
                <div>
                  <dt>{t('console:relays.columns.dnsbl')}</dt>
                  <dd>
                    <DnsblHits relay={r} />
                  </dd>
                </div>
                <div>
                  <dt>{t('console:relays.columns.probed')}</dt>
                  <dd>
                    {r.health.checkedAt
                      ? formatDateTime(r.health.checkedAt, language)
                      : t('console:relays.neverProbed')}
                  </dd>
                </div>
                <div>
                  <dt>{t('console:relay.sendingIps')}</dt>
                  <dd>{r.sendingIps.length ? r.sendingIps.join(', ') : '—'}</dd>
                </div>
              </dl>
              <section class="card" aria-labelledby="relay-acts-title">
                <h2 id="relay-acts-title">{t('console:relay.acts')}</h2>
                <div class="actions">
                  {r.role === 'fallback' && (
                    <button type="button" class="button" onClick={() => setDialog('promote')}>
                      {t('console:relay.promote')}
                    </button>
                  )}
                  {r.state === 'active' && (
                    <button type="button" class="button" onClick={() => setDialog('drain')}>
                      {t('console:relay.drain')}
                    </button>
                  )}
                  {r.state !== 'active' && (
                    <button type="button" class="button" onClick={() => setDialog('resume')}>
                      {t('console:relay.resume')}
                    </button>
                  )}
                  {r.state !== 'disabled' && (
                    <button type="button" class="button" onClick={() => setDialog('disable')}>
                      {t('console:relay.disable')}
                    </button>
                  )}
                  <button type="button" class="button" onClick={() => setDialog('priority')}>
                    {t('console:relay.priority')}
                  </button>
                  {r.kind === 'smarthost' && (
                    <button type="button" class="button" onClick={() => setDialog('credentials')}>
                      {t('console:relay.credentials')}
                    </button>
                  )}
                  <button type="button" class="button button-danger" onClick={() => setDialog('remove')}>
                    {t('console:relay.remove')}
                  </button>
                </div>
              </section>
              {dialog === 'promote' && (
                <ConfirmDialog
                  title={t('console:relay.promoteTitle', { name })}
                  confirmLabel={t('console:relay.promote')}
                  onConfirm={act('POST', '/promote', undefined, 'console:relay.promoted')}
                  onClose={() => setDialog(null)}
                >
                  <p>{t('console:relay.promoteWhat')}</p>
                </ConfirmDialog>
              )}
              {dialog === 'drain' && (
                <ConfirmDialog
                  title={t('console:relay.drainTitle', { name })}
                  confirmLabel={t('console:relay.drain')}
                  danger
                  onConfirm={act('POST', '/drain', undefined, 'console:relay.drained')}
                  onClose={() => setDialog(null)}
                >
                  <p>{t('console:relay.drainWhat')}</p>
                  <QueueNow />
                </ConfirmDialog>
              )}
              {(dialog === 'resume' || dialog === 'disable') && (
                <ConfirmDialog
                  title={t(`console:relay.${dialog}Title`, { name })}
                  confirmLabel={t(`console:relay.${dialog}`)}
                  danger={dialog === 'disable'}
                  onConfirm={act(
                    'PATCH',
                    '',
                    { state: dialog === 'resume' ? 'active' : 'disabled' },
                    `console:relay.${dialog}d`,
                  )}
                  onClose={() => setDialog(null)}
                >
                  <p>{t(`console:relay.${dialog}What`)}</p>
                </ConfirmDialog>
              )}
              {dialog === 'priority' && (
                <PriorityDialog relay={r} onClose={() => setDialog(null)} onSave={act} />
              )}
              {dialog === 'credentials' && (
                <CredentialsDialog relay={r} onClose={() => setDialog(null)} onSave={act} />
              )}
              {dialog === 'remove' && (
                <ConfirmDialog
                  title={t('console:relay.removeTitle', { name })}
                  confirmLabel={t('console:relay.removeConfirm')}
                  danger
                  typeToConfirm={name}
                  onConfirm={async () => {
                    await api('DELETE', path);
                    announce(t('console:relay.removed', { name }));
                    route('/console/racine/relays');
                  }}
                  onClose={() => setDialog(null)}
                >
                  <p>{t('console:relay.removeWhat')}</p>
                </ConfirmDialog>
              )}
            </>
          )}
        </LoadState>
      </Only>
    </Screen>
  );
}

/** What still waits to leave, said in the drain dialog before the racine decides. */
function QueueNow() {
  const { t } = useI18n();
  const queue = useLoad((signal) => api<HealthItem>('GET', '/platform/queue', { signal }), []);
  if (!queue.data) return null;
  const f = queue.data.facts as { total?: number; byQueue?: Record<string, number> };
  return (
    <p>
      {typeof f.total === 'number'
        ? t('console:relay.queueNow', { total: f.total, deferred: f.byQueue?.deferred ?? 0 })
        : t('console:relay.queueUnknown')}
    </p>
  );
}

type Act = (method: string, suffix: string, body: unknown, doneKey: string) => () => Promise<void>;

function PriorityDialog(props: { relay: Relay; onClose: () => void; onSave: Act }) {
  const { t } = useI18n();
  const [value, setValue] = useState(String(props.relay.priority));
  const [error, setError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  return (
    <ConfirmDialog
      title={t('console:relay.priorityTitle', { name: props.relay.name })}
      confirmLabel={t('console:common.save')}
      onConfirm={async () => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 10000) {
          setError(t('console:relay.priorityInvalid'));
          input.current?.focus();
          return false;
        }
        await props.onSave('PATCH', '', { priority: n }, 'console:relay.prioritySaved')();
      }}
      onClose={props.onClose}
    >
      <p>{t('console:relays.priorityHint')}</p>
      <TextField
        id="relay-new-priority"
        label={t('console:relays.priority')}
        inputMode="numeric"
        value={value}
        onValue={setValue}
        error={error}
        inputRef={input}
      />
    </ConfirmDialog>
  );
}

function CredentialsDialog(props: { relay: Relay; onClose: () => void; onSave: Act }) {
  const { t } = useI18n();
  const [username, setUsername] = useState(props.relay.username ?? '');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ username?: string; password?: string }>({});
  const userInput = useRef<HTMLInputElement>(null);
  const passInput = useRef<HTMLInputElement>(null);
  return (
    <ConfirmDialog
      title={t('console:relay.credentialsTitle', { name: props.relay.name })}
      confirmLabel={t('console:relay.credentialsConfirm')}
      onConfirm={async () => {
        const problems = {
          username: username.trim() ? undefined : t('console:relay.usernameMissing'),
          password: password ? undefined : t('console:relay.passwordMissing'),
        };
        setErrors(problems);
        if (problems.username || problems.password) {
          (problems.username ? userInput : passInput).current?.focus();
          return false;
        }
        await props.onSave(
          'POST',
          '/credentials',
          { username: username.trim(), password },
          'console:relay.credentialsSaved',
        )();
      }}
      onClose={props.onClose}
    >
      <p>{t('console:relay.credentialsWhat')}</p>
      <TextField
        id="relay-cred-username"
        label={t('console:relays.username')}
        autoComplete="off"
        value={username}
        onValue={setUsername}
        error={errors.username}
        inputRef={userInput}
      />
      <TextField
        id="relay-cred-password"
        type="password"
        label={t('console:relays.password')}
        autoComplete="new-password"
        value={password}
        onValue={setPassword}
        error={errors.password}
        inputRef={passInput}
      />
    </ConfirmDialog>
  );
}
