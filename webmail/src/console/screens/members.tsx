import '../console.css';
import { useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api } from '../../shell/api';
import { fieldErrors } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Breadcrumbs, collectivePath, CollectiveTabs, Only } from '../components/layout';
import { LoadState } from '../components/load-state';
import { isAccount } from '../lib/access';
import { consoleError } from '../lib/errors';
import { formatDate } from '../lib/format';
import type { Collective, Invitation, Member, Page, Role } from '../lib/types';
import { useLoad } from '../lib/use-load';

/** A collective's members and their roles; invite (the person consents), withdraw an invitation, remove. */
export default function MembersScreen(props: { params: { slug: string } }) {
  const { t, language } = useI18n();
  const { me } = useSession();
  const slug = props.params.slug;
  const base = `/collectives/${encodeURIComponent(slug)}`;
  const [removing, setRemoving] = useState<Member | null>(null);
  const [withdrawing, setWithdrawing] = useState<Invitation | null>(null);
  const [changing, setChanging] = useState<Member | null>(null);
  const [notice, setNotice] = useState('');
  const state = useLoad(
    async (signal) => {
      const [collective, members, invitations] = await Promise.all([
        api<Collective>('GET', base, { signal }),
        api<Page<Member>>('GET', `${base}/members`, { signal }),
        api<{ items: Invitation[] }>('GET', `${base}/invitations`, { signal }),
      ]);
      return { collective, members: members.items, invitations: invitations.items };
    },
    [slug],
  );
  const name = state.data?.collective.name ?? slug;
  const say = (text: string) => {
    setNotice(text);
    announce(text);
  };
  return (
    <Screen title={t('console:members.title', { name })}>
      <Breadcrumbs
        items={[
          { href: '/console', label: t('console:nav.home') },
          { href: collectivePath(slug), label: name },
          { label: t('console:collective.tabs.members') },
        ]}
      />
      <CollectiveTabs slug={slug} />
      <Only adminOf={slug}>
        {notice && <Alert kind="success">{notice}</Alert>}
        <LoadState state={state}>
          {({ members, invitations }) => (
            <>
              <table class="table">
                <caption class="visually-hidden">{t('console:members.caption', { name })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('console:members.columns.email')}</th>
                    <th scope="col">{t('console:members.columns.role')}</th>
                    <th scope="col">{t('console:members.columns.since')}</th>
                    <th scope="col">{t('console:members.columns.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {members.map((m) => (
                    <tr key={m.accountId}>
                      <th scope="row" data-label={t('console:members.columns.email')}>
                        {m.email}
                        {isAccount(me) && me.id === m.accountId && (
                          <span class="tag">{t('console:members.you')}</span>
                        )}
                      </th>
                      <td data-label={t('console:members.columns.role')}>{t(`console:roles.${m.role}`)}</td>
                      <td data-label={t('console:members.columns.since')}>{formatDate(m.since, language)}</td>
                      <td data-label={t('console:members.columns.actions')}>
                        <div class="actions">
                          <button type="button" class="button button-quiet" onClick={() => setChanging(m)}>
                            {t(
                              m.role === 'admin' ? 'console:members.makeMember' : 'console:members.makeAdmin',
                              {
                                email: m.email,
                              },
                            )}
                          </button>
                          <button type="button" class="button button-quiet" onClick={() => setRemoving(m)}>
                            {t('console:members.remove', { email: m.email })}
                          </button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {invitations.length > 0 && (
                <section aria-labelledby="pending-title">
                  <h2 id="pending-title">{t('console:members.pendingTitle')}</h2>
                  <ul>
                    {invitations.map((i) => (
                      <li key={i.id}>
                        {t('console:members.pending', {
                          email: i.email,
                          role: t(`console:roles.${i.role}`),
                          until: formatDate(i.expiresAt, language),
                        })}{' '}
                        <button type="button" class="button button-quiet" onClick={() => setWithdrawing(i)}>
                          {t('console:members.withdraw', { email: i.email })}
                        </button>
                      </li>
                    ))}
                  </ul>
                </section>
              )}
              <InviteForm
                slug={slug}
                onInvited={(invitation) => {
                  state.reload();
                  say(t('console:members.invited', { email: invitation.email }));
                }}
              />
            </>
          )}
        </LoadState>
        {withdrawing && (
          <ConfirmDialog
            title={t('console:members.withdrawTitle', { email: withdrawing.email })}
            confirmLabel={t('console:members.withdrawConfirm')}
            danger
            onConfirm={async () => {
              await api('DELETE', `${base}/invitations/${withdrawing.id}`);
              state.reload();
              say(t('console:members.withdrawn', { email: withdrawing.email }));
            }}
            onClose={() => setWithdrawing(null)}
          >
            <p>{t('console:members.withdrawWhat', { email: withdrawing.email })}</p>
          </ConfirmDialog>
        )}
        {changing && (
          <ConfirmDialog
            title={t(
              changing.role === 'admin'
                ? 'console:members.makeMemberTitle'
                : 'console:members.makeAdminTitle',
              {
                email: changing.email,
              },
            )}
            confirmLabel={t('console:members.roleConfirm')}
            onConfirm={async () => {
              const role: Role = changing.role === 'admin' ? 'member' : 'admin';
              await api('PATCH', `${base}/members/${changing.accountId}`, { body: { role } });
              state.reload();
              say(
                t('console:members.roleChanged', { email: changing.email, role: t(`console:roles.${role}`) }),
              );
            }}
            onClose={() => setChanging(null)}
          >
            <p>
              {t(
                changing.role === 'admin'
                  ? 'console:members.makeMemberWhat'
                  : 'console:members.makeAdminWhat',
                {
                  email: changing.email,
                  name,
                },
              )}
            </p>
          </ConfirmDialog>
        )}
        {removing && (
          <ConfirmDialog
            title={t('console:members.removeTitle', { email: removing.email })}
            confirmLabel={t('console:members.removeConfirm')}
            danger
            onConfirm={async () => {
              await api('DELETE', `${base}/members/${removing.accountId}`);
              state.reload();
              say(t('console:members.removed', { email: removing.email }));
            }}
            onClose={() => setRemoving(null)}
          >
            <p>{t('console:members.removeWhat', { email: removing.email, name })}</p>
          </ConfirmDialog>
        )}
      </Only>
    </Screen>
  );
}

function InviteForm(props: { slug: string; onInvited: (invitation: Invitation) => void }) {
  const { t, language } = useI18n();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [emailError, setEmailError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!email.trim()) {
      setEmailError(t('console:members.emailMissing'));
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError('');
    setEmailError('');
    try {
      const res = await api<Invitation>(
        'POST',
        `/collectives/${encodeURIComponent(props.slug)}/invitations`,
        {
          body: { email: email.trim(), role },
        },
      );
      setEmail('');
      props.onInvited(res);
    } catch (e) {
      const fields = fieldErrors(e, language);
      if (fields.email) {
        setEmailError(fields.email);
        input.current?.focus();
      } else setError(consoleError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="invite-title">
      <h2 id="invite-title">{t('console:members.inviteTitle')}</h2>
      <p>{t('console:members.inviteIntro')}</p>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form form-medium" onSubmit={submit} noValidate aria-busy={busy}>
        <TextField
          id="invite-email"
          type="email"
          label={t('console:members.email')}
          value={email}
          onValue={setEmail}
          autoComplete="off"
          inputMode="email"
          maxLength={320}
          error={emailError}
          inputRef={input}
        />
        <fieldset class="field">
          <legend>{t('console:members.role')}</legend>
          {(['member', 'admin'] as const).map((r) => (
            <label key={r} class="checkbox">
              <input
                type="radio"
                name="invite-role"
                value={r}
                checked={role === r}
                onChange={() => setRole(r)}
              />
              {t(`console:members.roleChoice.${r}`)}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('console:members.invite')}
        </button>
      </form>
    </section>
  );
}
