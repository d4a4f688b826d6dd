import { useRoute } from 'preact-iso';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { Screen } from '../../ui/screen';
import { crypto, CryptoError } from '../crypto/client';
import type { OpenedMessage } from '../crypto/protocol';
import { mailApi, type Folder, type Summary } from '../mail-api';
import { MessageFrame } from '../reading/message-frame';
import { sanitiseMail } from '../reading/sanitize';
import { Unlocked } from '../ui/unlock';

const href = (folder: string, uid?: number) => `/mail/f/${encodeURIComponent(folder)}${uid ? `/${uid}` : ''}`;

function FolderList(props: { folders: Folder[]; current: string }) {
  const { t } = useI18n();
  const { folders } = props;
  const label = (f: Folder) =>
    f.specialUse
      ? t(`mail:folders.${f.specialUse.slice(1).toLowerCase()}`, { defaultValue: f.name })
      : f.name;
  return (
    <nav class="mail-folders" aria-label={t('mail:folders.label')}>
      <ul>
        {folders.map((f) => (
          <li key={f.path}>
            <a href={href(f.path)} aria-current={f.path === props.current ? 'page' : undefined}>
              {label(f)}
              {f.unseen > 0 && <span class="count">{t('mail:folders.unseen', { count: f.unseen })}</span>}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function MessageList(props: { address: string; folder: string; selected?: number }) {
  const { t, language } = useI18n();
  const [messages, setMessages] = useState<Summary[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setMessages(null);
    mailApi.page(props.address, props.folder).then(
      (p) => setMessages(p.messages),
      (e) => setError(describeError(e)),
    );
  }, [props.address, props.folder]);
  const date = new Intl.DateTimeFormat(language, { dateStyle: 'short', timeStyle: 'short' });
  if (error) return <Alert kind="error">{error}</Alert>;
  if (!messages) return <p aria-busy="true">{t('shell:app.loading')}</p>;
  if (messages.length === 0) return <p>{t('mail:list.empty')}</p>;
  return (
    <ul class="mail-list" aria-label={t('mail:list.label')}>
      {messages.map((m) => {
        const unread = !m.flags.includes('\\Seen');
        const from = m.from[0]?.name || m.from[0]?.address || t('mail:list.noSender');
        return (
          <li key={m.uid} class={unread ? 'unread' : undefined}>
            <a href={href(props.folder, m.uid)} aria-current={m.uid === props.selected ? 'true' : undefined}>
              <span class="from">
                {unread && <span class="visually-hidden">{t('mail:list.unread')} </span>}
                {from}
              </span>
              <span class="subject">
                {m.subject === '...' ? t('mail:list.protected') : m.subject || t('mail:list.noSubject')}
              </span>
              <time dateTime={m.date}>{date.format(new Date(m.date))}</time>
            </a>
          </li>
        );
      })}
    </ul>
  );
}

const composeHref = (mode: string, folder: string, uid: number) =>
  `/mail/compose?${new URLSearchParams({ mode, folder, uid: String(uid) })}`;

function Reader(props: { address: string; folder: string; uid: number; isDrafts: boolean }) {
  const { t, language } = useI18n();
  const [message, setMessage] = useState<OpenedMessage | null>(null);
  const [error, setError] = useState('');
  const [remote, setRemote] = useState(false);
  const [plain, setPlain] = useState(false);
  useEffect(() => {
    setMessage(null);
    setRemote(false);
    crypto('open', { address: props.address, folder: props.folder, uid: props.uid }).then(
      (m) => {
        setMessage(m);
        void mailApi
          .flags(props.address, props.folder, [props.uid], { add: ['\\Seen'] })
          .catch(() => undefined);
      },
      (e) => setError(e instanceof CryptoError ? t('mail:read.failed') : describeError(e)),
    );
  }, [props.address, props.folder, props.uid]);
  const urls = useMemo(() => {
    const made = new Map<string, string>();
    for (const a of message?.attachments ?? []) {
      made.set(a.filename, URL.createObjectURL(new Blob([a.content], { type: a.mimeType })));
    }
    return made;
  }, [message]);
  useEffect(() => () => urls.forEach((u) => URL.revokeObjectURL(u)), [urls]);
  const content = useMemo(() => {
    if (!message?.html) return null;
    const byCid = new Map(
      (message.attachments ?? [])
        .filter((a) => a.contentId)
        .map((a) => [a.contentId!.replace(/[<>]/g, ''), urls.get(a.filename)]),
    );
    return sanitiseMail(message.html, { allowRemote: remote, cid: (id) => byCid.get(id) });
  }, [message, remote, urls]);

  if (error) return <Alert kind="error">{error}</Alert>;
  if (!message) return <p aria-busy="true">{t('mail:read.opening')}</p>;
  const failed = message.authentication.filter(
    (a) => a.method !== 'arc' && ['fail', 'softfail', 'permerror'].includes(a.result),
  );
  const date = message.date
    ? new Intl.DateTimeFormat(language, { dateStyle: 'full', timeStyle: 'short' }).format(
        new Date(message.date),
      )
    : '';
  const who = (l: Array<{ name: string; address: string }>) =>
    l.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');
  return (
    <article class="mail-reader" aria-labelledby="message-subject">
      <h2 id="message-subject">{message.subject || t('mail:list.noSubject')}</h2>
      <dl class="mail-headers">
        <dt>{t('mail:read.from')}</dt>
        <dd>{who(message.from)}</dd>
        <dt>{t('mail:read.to')}</dt>
        <dd>{who(message.to)}</dd>
        {message.cc.length > 0 && (
          <>
            <dt>{t('mail:read.cc')}</dt>
            <dd>{who(message.cc)}</dd>
          </>
        )}
        <dt>{t('mail:read.date')}</dt>
        <dd>{date}</dd>
      </dl>
      <nav class="mail-actions" aria-label={t('mail:read.actions')}>
        {props.isDrafts ? (
          <a class="button" href={composeHref('draft', props.folder, props.uid)}>
            {t('mail:read.editDraft')}
          </a>
        ) : (
          <>
            <a class="button" href={composeHref('reply', props.folder, props.uid)}>
              {t('mail:read.reply')}
            </a>
            <a class="button button-quiet" href={composeHref('all', props.folder, props.uid)}>
              {t('mail:read.replyAll')}
            </a>
            <a class="button button-quiet" href={composeHref('forward', props.folder, props.uid)}>
              {t('mail:read.forward')}
            </a>
          </>
        )}
      </nav>
      <p class="mail-status">{message.encrypted ? t('mail:read.encrypted') : t('mail:read.notEncrypted')}</p>
      {failed.length > 0 && (
        <Alert kind="error">{t('mail:read.authFailed', { from: message.from[0]?.address ?? '' })}</Alert>
      )}
      {content && content.blocked > 0 && !remote && (
        <div class="alert alert-info">
          <p>{t('mail:read.remoteBlocked', { count: content.blocked })}</p>
          <button type="button" class="button" onClick={() => setRemote(true)}>
            {t('mail:read.loadOnce')}
          </button>
        </div>
      )}
      {message.html && (
        <p>
          <button
            type="button"
            class="button button-quiet"
            aria-pressed={plain}
            onClick={() => setPlain(!plain)}
          >
            {t('mail:read.plainText')}
          </button>
        </p>
      )}
      {content && !plain ? (
        <MessageFrame content={content} title={t('mail:read.frameTitle')} />
      ) : (
        <pre class="mail-text">{message.text ?? ''}</pre>
      )}
      {message.attachments.filter((a) => !a.inline).length > 0 && (
        <section aria-labelledby="attachments-title">
          <h3 id="attachments-title">{t('mail:read.attachments')}</h3>
          <ul>
            {message.attachments
              .filter((a) => !a.inline)
              .map((a) => (
                <li key={a.filename}>
                  <a href={urls.get(a.filename)} download={a.filename}>
                    {a.filename}
                  </a>{' '}
                  (
                  {new Intl.NumberFormat(language, {
                    style: 'unit',
                    unit: 'kilobyte',
                    maximumFractionDigits: 1,
                  }).format(a.size / 1000)}
                  )
                </li>
              ))}
          </ul>
        </section>
      )}
    </article>
  );
}

/** The webmail: folders, the folder's messages, the open message. */
export default function MailboxScreen() {
  const { t } = useI18n();
  const { me } = useSession();
  const { params } = useRoute();
  const address = me.type === 'mailbox' ? me.address : '';
  const folder = params.folder ?? 'INBOX';
  const uid = params.uid ? Number(params.uid) : undefined;
  const [folders, setFolders] = useState<Folder[]>([]);
  useEffect(() => {
    mailApi.folders(address).then(
      (r) => setFolders(r.folders),
      () => setFolders([]),
    );
  }, [address, folder]);
  const isDrafts = folders.some((f) => f.path === folder && f.specialUse === '\\Drafts');
  return (
    <Unlocked>
      <Screen title={t('mail:home.title')} class="screen mail-screen">
        <div class="mail-layout">
          <FolderList folders={folders} current={folder} />
          <section class="mail-list-pane" aria-label={t('mail:list.label')}>
            <MessageList address={address} folder={folder} selected={uid} />
          </section>
          {uid && <Reader address={address} folder={folder} uid={uid} isDrafts={isDrafts} />}
        </div>
      </Screen>
    </Unlocked>
  );
}
