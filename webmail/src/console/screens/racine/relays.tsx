import '../../console.css';
import { useLocation } from 'preact-iso';
import { useRef, useState } from 'preact/hooks';
import { api } from '../../../shell/api';
import { fieldErrors } from '../../../shell/errors';
import { useI18n } from '../../../shell/i18n';
import { Alert } from '../../../ui/alert';
import { TextField } from '../../../ui/field';
import { Screen } from '../../../ui/screen';
import { Only } from '../../components/layout';
import { LoadState } from '../../components/load-state';
import { CircuitBadge, DnsblHits, RelayHealthBadge, RelayStateBadge } from '../../components/relay-health';
import { consoleError } from '../../lib/errors';
import { formatRelative } from '../../lib/format';
import type { Page, Relay } from '../../lib/types';
import { useLoad } from '../../lib/use-load';

export const relayPath = (name: string) => `/console/racine/relays/${encodeURIComponent(name)}`;

/** Racine: the outbound relay pool in routing order, with each relay's health; add a relay. */
export default function RelaysScreen() {
  const { t, language } = useI18n();
  const state = useLoad((signal) => api<Page<Relay>>('GET', '/relays', { signal }), []);
  return (
    <Screen title={t('console:relays.title')}>
      <Only racine>
        <p>{t('console:relays.intro')}</p>
        <LoadState state={state}>
          {({ items }) =>
            items.length === 0 ? (
              <p>{t('console:relays.none')}</p>
            ) : (
              <table class="table">
                <caption class="visually-hidden">{t('console:relays.caption')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('console:relays.columns.order')}</th>
                    <th scope="col">{t('console:relays.columns.name')}</th>
                    <th scope="col">{t('console:relays.columns.role')}</th>
                    <th scope="col">{t('console:relays.columns.state')}</th>
                    <th scope="col">{t('console:relays.columns.health')}</th>
                    <th scope="col">{t('console:relays.columns.circuit')}</th>
                    <th scope="col">{t('console:relays.columns.latency')}</th>
                    <th scope="col">{t('console:relays.columns.dnsbl')}</th>
                    <th scope="col">{t('console:relays.columns.probed')}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((r, i) => (
                    <tr key={r.name}>
                      <td data-label={t('console:relays.columns.order')}>{i + 1}</td>
                      <th scope="row" data-label={t('console:relays.columns.name')}>
                        <a href={relayPath(r.name)}>{r.name}</a>
                        <div class="muted">
                          {r.kind === 'direct' ? t('console:relays.kinds.direct') : `${r.host}:${r.port}`}
                        </div>
                      </th>
                      <td data-label={t('console:relays.columns.role')}>
                        {t(`console:relays.roles.${r.role}`)} ·{' '}
                        {t('console:relays.priorityShort', { priority: r.priority })}
                      </td>
                      <td data-label={t('console:relays.columns.state')}>
                        <RelayStateBadge relay={r} />
                      </td>
                      <td data-label={t('console:relays.columns.health')}>
                        <RelayHealthBadge relay={r} />
                        {r.health.error && <div class="muted">{r.health.error}</div>}
                      </td>
                      <td data-label={t('console:relays.columns.circuit')}>
                        <CircuitBadge relay={r} />
                      </td>
                      <td data-label={t('console:relays.columns.latency')}>
                        {r.health.latencyMs === null
                          ? '—'
                          : t('console:relays.ms', { value: r.health.latencyMs })}
                      </td>
                      <td data-label={t('console:relays.columns.dnsbl')}>
                        <DnsblHits relay={r} />
                      </td>
                      <td data-label={t('console:relays.columns.probed')}>
                        {r.health.checkedAt ? (
                          <time dateTime={r.health.checkedAt}>
                            {formatRelative(r.health.checkedAt, language)}
                          </time>
                        ) : (
                          t('console:relays.neverProbed')
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </LoadState>
        <AddRelayForm onAdded={state.reload} />
      </Only>
    </Screen>
  );
}

function AddRelayForm(props: { onAdded: () => void }) {
  const { t, language } = useI18n();
  const { route } = useLocation();
  const [kind, setKind] = useState<'smarthost' | 'direct'>('smarthost');
  const [v, setV] = useState({
    name: '',
    host: '',
    port: '587',
    username: '',
    password: '',
    priority: '100',
  });
  const [tlsMode, setTlsMode] = useState<'starttls' | 'implicit' | 'none'>('starttls');
  const [role, setRole] = useState<'primary' | 'fallback'>('primary');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<Record<string, string | undefined>>({});
  const nameInput = useRef<HTMLInputElement>(null);
  const field = (key: keyof typeof v) => ({
    value: v[key],
    onValue: (x: string) => setV({ ...v, [key]: x }),
  });
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError('');
    setFields({});
    const common = { name: v.name.trim(), priority: Number(v.priority) || 0, role };
    const body =
      kind === 'direct'
        ? { kind, ...common }
        : {
            kind,
            ...common,
            host: v.host.trim(),
            port: Number(v.port),
            tlsMode,
            ...(v.username ? { username: v.username } : {}),
            ...(v.password ? { password: v.password } : {}),
          };
    try {
      const relay = await api<Relay>('POST', '/relays', { body });
      props.onAdded();
      route(relayPath(relay.name));
    } catch (e) {
      setBusy(false);
      const byField = fieldErrors(e, language);
      if (Object.keys(byField).length) {
        setFields(byField);
        setError(Object.values(byField).join(' '));
      } else setError(consoleError(e));
      nameInput.current?.focus();
    }
  };
  return (
    <section class="card" aria-labelledby="relay-new-title">
      <h2 id="relay-new-title">{t('console:relays.newTitle')}</h2>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form form-medium" onSubmit={submit} noValidate aria-busy={busy}>
        <fieldset class="field">
          <legend>{t('console:relays.kind')}</legend>
          {(['smarthost', 'direct'] as const).map((k) => (
            <label key={k} class="checkbox">
              <input type="radio" name="relay-kind" checked={kind === k} onChange={() => setKind(k)} />
              {t(`console:relays.kindChoice.${k}`)}
            </label>
          ))}
        </fieldset>
        <TextField
          id="relay-name"
          label={t('console:relays.name')}
          hint={t('console:relays.nameHint')}
          {...field('name')}
          maxLength={64}
          error={fields.name}
          inputRef={nameInput}
        />
        {kind === 'smarthost' && (
          <>
            <TextField
              id="relay-host"
              label={t('console:relays.host')}
              {...field('host')}
              error={fields.host}
            />
            <TextField
              id="relay-port"
              label={t('console:relays.port')}
              inputMode="numeric"
              {...field('port')}
              error={fields.port}
            />
            <div class="field">
              <label for="relay-tls">{t('console:relays.tls')}</label>
              <select
                id="relay-tls"
                value={tlsMode}
                onChange={(e) => setTlsMode((e.currentTarget as HTMLSelectElement).value as typeof tlsMode)}
              >
                {(['starttls', 'implicit', 'none'] as const).map((m) => (
                  <option key={m} value={m}>
                    {t(`console:relays.tlsModes.${m}`)}
                  </option>
                ))}
              </select>
            </div>
            <TextField
              id="relay-username"
              label={t('console:relays.username')}
              autoComplete="off"
              {...field('username')}
              error={fields.username}
            />
            <TextField
              id="relay-password"
              type="password"
              label={t('console:relays.password')}
              hint={t('console:relays.passwordHint')}
              autoComplete="new-password"
              {...field('password')}
              error={fields.password}
            />
          </>
        )}
        <TextField
          id="relay-priority"
          label={t('console:relays.priority')}
          hint={t('console:relays.priorityHint')}
          inputMode="numeric"
          {...field('priority')}
          error={fields.priority}
        />
        <fieldset class="field">
          <legend>{t('console:relays.role')}</legend>
          {(['primary', 'fallback'] as const).map((r) => (
            <label key={r} class="checkbox">
              <input type="radio" name="relay-role" checked={role === r} onChange={() => setRole(r)} />
              {t(`console:relays.roleChoice.${r}`)}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('console:relays.add')}
        </button>
      </form>
    </section>
  );
}
