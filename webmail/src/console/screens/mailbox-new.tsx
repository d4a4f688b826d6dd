import '../console.css';
import { useLocation } from 'preact-iso';
import { useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../../shell/api';
import { describeError, fieldErrors } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { StrengthMeter } from '../../ui/strength-meter';
import { Breadcrumbs, domainPath, DomainTabs, mailboxPath, Only } from '../components/layout';
import { LoadState } from '../components/load-state';
import { consoleError } from '../lib/errors';
import { handOverRecoveryCode, handOverSetupLink } from '../lib/handoff';
import type { Domain, Mailbox, SetupLink } from '../lib/types';
import { useLoad } from '../lib/use-load';

const QUOTAS_GB = [1, 2, 5, 10, 20];

/**
 * Creates a mailbox. By default its owner chooses the password herself through a one-time link
 * (shown next, on its own screen), and gets the recovery code herself; or the admin sets a
 * temporary password now, which the owner changes at her first login, getting her recovery
 * code then: the admin never sees it.
 */
export default function MailboxNewScreen(props: { params: { name: string } }) {
  const { t } = useI18n();
  const name = props.params.name;
  const domain = useLoad(
    (signal) => api<Domain>('GET', `/domains/${encodeURIComponent(name)}`, { signal }),
    [name],
  );
  const unicode = domain.data?.unicodeName ?? name;
  return (
    <Screen title={t('console:mailboxNew.title', { name: unicode })}>
      <Breadcrumbs
        items={[
          { href: '/console', label: t('console:nav.home') },
          { href: domainPath(name), label: unicode },
          { href: domainPath(name, '/mailboxes'), label: t('console:domain.tabs.mailboxes') },
          { label: t('console:mailboxNew.crumb') },
        ]}
      />
      <DomainTabs name={name} />
      <LoadState state={domain}>
        {(d) => (
          <Only adminOf={d.collective}>
            <MailboxForm domain={d} />
          </Only>
        )}
      </LoadState>
    </Screen>
  );
}

function MailboxForm(props: { domain: Domain }) {
  const { t, language } = useI18n();
  const { route } = useLocation();
  const [localPart, setLocalPart] = useState('');
  const [by, setBy] = useState<'owner' | 'admin'>('owner');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [quota, setQuota] = useState('1');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<Record<string, string | undefined>>({});
  const refs = {
    localPart: useRef<HTMLInputElement>(null),
    password: useRef<HTMLInputElement>(null),
    confirm: useRef<HTMLInputElement>(null),
    displayName: useRef<HTMLInputElement>(null),
  };
  const address = `${localPart.trim().toLowerCase() || '…'}@${props.domain.name}`;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const problems: Record<string, string | undefined> = {
      localPart: localPart.trim() ? undefined : t('console:mailboxNew.localPartMissing'),
      password: by === 'owner' || password ? undefined : t('shell:password.newMissing'),
      confirm: by === 'admin' && password && confirm !== password ? t('shell:password.mismatch') : undefined,
    };
    setFields(problems);
    setError('');
    const first = (['localPart', 'password', 'confirm'] as const).find((k) => problems[k]);
    if (first) {
      refs[first].current?.focus();
      return;
    }
    setBusy(true);
    try {
      const created = await api<Mailbox & { recoveryCode: string | null; setupLink: SetupLink | null }>(
        'POST',
        `/domains/${encodeURIComponent(props.domain.name)}/mailboxes`,
        {
          body: {
            localPart: localPart.trim().toLowerCase(),
            ...(by === 'admin' ? { password, mustChangePassword: true } : {}),
            ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
            quotaBytes: Number(quota) * 1024 ** 3,
          },
        },
      );
      if (created.setupLink) {
        handOverSetupLink(created.address, created.setupLink);
        route(mailboxPath(created.address, '/setup-link'));
      } else if (created.recoveryCode) {
        handOverRecoveryCode(created.address, created.recoveryCode);
        route(mailboxPath(created.address, '/recovery'));
      } else {
        route(mailboxPath(created.address));
      }
    } catch (e) {
      setBusy(false);
      const byField = fieldErrors(e, language);
      if (byField.localPart || byField.displayName) {
        setFields({ localPart: byField.localPart, displayName: byField.displayName });
        refs[byField.localPart ? 'localPart' : 'displayName'].current?.focus();
      } else if (e instanceof ApiError && e.code.startsWith('password_')) {
        setFields({ password: describeError(e) });
        refs.password.current?.focus();
      } else if (e instanceof ApiError && e.code === 'address_taken') {
        setFields({ localPart: consoleError(e) });
        refs.localPart.current?.focus();
      } else {
        setError(consoleError(e));
      }
    }
  };

  return (
    <form class="form form-medium" onSubmit={submit} noValidate aria-busy={busy}>
      {error && <Alert kind="error">{error}</Alert>}
      <TextField
        id="mailbox-local-part"
        label={t('console:mailboxNew.localPart')}
        hint={t('console:mailboxNew.localPartHint', { address })}
        value={localPart}
        onValue={setLocalPart}
        maxLength={64}
        error={fields.localPart}
        inputRef={refs.localPart}
      />
      <TextField
        id="mailbox-display-name"
        label={t('console:mailboxNew.displayName')}
        hint={t('console:mailboxNew.displayNameHint')}
        value={displayName}
        onValue={setDisplayName}
        maxLength={200}
        error={fields.displayName}
        inputRef={refs.displayName}
      />
      <fieldset class="field">
        <legend>{t('console:mailboxNew.passwordBy')}</legend>
        <label class="checkbox">
          <input
            type="radio"
            name="password-by"
            value="owner"
            checked={by === 'owner'}
            onChange={() => setBy('owner')}
            aria-describedby="password-by-owner-hint"
          />
          {t('console:mailboxNew.byOwner')}
        </label>
        <p class="field-hint" id="password-by-owner-hint">
          {t('console:mailboxNew.byOwnerHint')}
        </p>
        <label class="checkbox">
          <input
            type="radio"
            name="password-by"
            value="admin"
            checked={by === 'admin'}
            onChange={() => setBy('admin')}
            aria-describedby="password-by-admin-hint"
          />
          {t('console:mailboxNew.byAdmin')}
        </label>
        <p class="field-hint" id="password-by-admin-hint">
          {t('console:mailboxNew.byAdminHint')}
        </p>
      </fieldset>
      {by === 'admin' && (
        <>
          <TextField
            id="mailbox-password"
            type="password"
            label={t('console:mailboxNew.password')}
            hint={t('console:mailboxNew.passwordHint')}
            value={password}
            onValue={setPassword}
            autoComplete="new-password"
            error={fields.password}
            inputRef={refs.password}
            describedBy="mailbox-password-strength"
          />
          <StrengthMeter id="mailbox-password-strength" password={password} inputs={[address]} />
          <TextField
            id="mailbox-password-confirm"
            type="password"
            label={t('shell:password.confirm')}
            value={confirm}
            onValue={setConfirm}
            autoComplete="new-password"
            error={fields.confirm}
            inputRef={refs.confirm}
          />
        </>
      )}
      <div class="field">
        <label for="mailbox-quota">{t('console:mailboxNew.quota')}</label>
        <select
          id="mailbox-quota"
          value={quota}
          onChange={(e) => setQuota((e.currentTarget as HTMLSelectElement).value)}
        >
          {QUOTAS_GB.map((gb) => (
            <option key={gb} value={String(gb)}>
              {t('console:mailboxNew.quotaGb', { count: gb })}
            </option>
          ))}
        </select>
      </div>
      <p class="field-hint">{t('console:mailboxNew.encryptionNote')}</p>
      <button type="submit" class="button button-primary" disabled={busy}>
        {busy
          ? t('console:mailboxNew.creating')
          : t(by === 'owner' ? 'console:mailboxNew.submitLink' : 'console:mailboxNew.submit')}
      </button>
    </form>
  );
}
