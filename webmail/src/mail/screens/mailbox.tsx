import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { Screen } from '../../ui/screen';
import { crypto, CryptoError } from '../crypto/client';
import type { OpenedMessage } from '../crypto/protocol';
import { mailApi, type Folder, type Summary } from '../mail-api';
import { notifyMoved, onMoved } from '../moved';
import { loadPreferences, updatePreferences } from '../preferences';
import { groupThreads } from '../threads';
import { MessageFrame } from '../reading/message-frame';
import { sanitiseMail } from '../reading/sanitize';
import { EmptyFolder } from '../ui/empty-folder';
import { DeleteButton, JunkButton } from '../ui/move-buttons';
import { followingSearch, MailSearch, useIndexProgress } from '../ui/search';
import { Shortcuts } from '../ui/shortcuts';
import { Unlocked } from '../ui/unlock';
import { WindowedList } from '../ui/windowed-list';

const VIEW = 'giroflee.mail.view';
function storedView(): string | null {
  try {
    return localStorage.getItem(VIEW);
  } catch {
    return null;
  }
}
function storeView(view: 'flat' | 'threads'): void {
  try {
    localStorage.setItem(VIEW, view);
  } catch {
    // Not kept past this page.
  }
}

const href = (folder: string, uid?: number) => `/mail/f/${encodeURIComponent(folder)}${uid ? `/${uid}` : ''}`;

function useFolderLabel(): (f: Folder) => string {
  const { t } = useI18n();
  return (f) =>
    f.specialUse
      ? t(`mail:folders.${f.specialUse.slice(1).toLowerCase()}`, { defaultValue: f.name })
      : f.name;
}

function FolderList(props: { folders: Folder[]; current: string }) {
  const { t } = useI18n();
  const { folders } = props;
  const label = useFolderLabel();
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

/** Where junk / not junk can be offered: not before the folders are known, nor for drafts and Sent. */
function junkable(special: string | null | undefined): boolean {
  return special !== undefined && special !== '\\Drafts' && special !== '\\Sent';
}

/** Where "delete" moves to the Trash: anywhere but the Trash itself (from there it is for good). */
function deletable(special: string | null | undefined): boolean {
  return special !== undefined && special !== '\\Trash';
}

/** The first page is small, to show soon; the next ones larger, for fewer round trips on a long scroll. */
const FIRST_PAGE = 50;
const NEXT_PAGE = 200;

function MessageList(props: {
  address: string;
  folder: string;
  special: string | null | undefined;
  selected?: number;
}) {
  const { t, language } = useI18n();
  const [messages, setMessages] = useState<Summary[] | null>(null);
  const [checked, setChecked] = useState<Set<number>>(() => new Set());
  const [next, setNext] = useState<number | null>(null);
  const [total, setTotal] = useState(0);
  const [more, setMore] = useState(false);
  const [error, setError] = useState('');
  /** The folder's HIGHESTMODSEQ the list reflects: what the push's changes are asked since. */
  const modseq = useRef<string | null>(null);
  const loading = useRef(false);
  /** UIDs known gone: this page's own moves are reported again by the push's changes. */
  const dropped = useRef(new Set<number>());
  useEffect(() => {
    setMessages(null);
    setChecked(new Set());
    modseq.current = null;
    dropped.current = new Set();
    mailApi.page(props.address, props.folder, { limit: FIRST_PAGE }).then(
      (p) => {
        modseq.current = p.highestModseq;
        setMessages(p.messages);
        setNext(p.next);
        setTotal(p.total);
      },
      (e) => setError(describeError(e)),
    );
  }, [props.address, props.folder]);

  const drop = (uids: number[]) => {
    const gone = new Set(uids.filter((uid) => !dropped.current.has(uid)));
    if (gone.size === 0) return;
    for (const uid of gone) dropped.current.add(uid);
    setTotal((n) => Math.max(0, n - gone.size));
    setMessages((current) => current && current.filter((m) => !gone.has(m.uid)));
    setChecked((current) => new Set([...current].filter((uid) => !gone.has(uid))));
  };

  /**
   * What another client did since the list was read (RFC 7162): messages expunged or moved away
   * (VANISHED) leave the list, flags changed (read, unread) are shown.
   */
  const catchUp = async () => {
    const since = modseq.current;
    if (since === null) return;
    const c = await mailApi.changes(props.address, props.folder, since);
    if (modseq.current !== since) return;
    modseq.current = c.highestModseq;
    drop(c.vanished);
    const flags = new Map(c.changed.map((x) => [x.uid, x.flags]));
    if (flags.size === 0) return;
    setMessages(
      (current) =>
        current &&
        current.map((m) => {
          const f = flags.get(m.uid);
          return f && f.join(' ') !== m.flags.join(' ') ? { ...m, flags: f } : m;
        }),
    );
  };

  // New mail, pushed by the server (SSE fed by IMAP IDLE): added on top and announced; what
  // another client removed or marked, caught up with.
  useEffect(() => {
    const source = new EventSource(mailApi.eventsUrl(props.address, props.folder));
    let known: number | null = null;
    source.addEventListener('folder', (event) => {
      const state = JSON.parse((event as MessageEvent<string>).data) as { messages: number; modseq: string };
      const first = known === null;
      const arrived = first ? 0 : state.messages - known!;
      known = state.messages;
      // New mail goes into the local search index as it arrives (and what came while unwatched).
      if (first || arrived > 0) {
        void crypto('indexFolder', { address: props.address, folder: props.folder }).catch(() => undefined);
      }
      if (modseq.current !== null && state.modseq !== modseq.current) void catchUp().catch(() => undefined);
      if (arrived <= 0) return;
      void mailApi.page(props.address, props.folder, { limit: FIRST_PAGE }).then((p) => {
        setMessages((current) => {
          const have = new Set((current ?? []).map((m) => m.uid));
          const fresh = p.messages.filter((m) => !have.has(m.uid));
          if (fresh.length) announce(t('mail:list.arrived', { count: fresh.length }));
          return [...fresh, ...(current ?? [])];
        });
        setTotal(p.total);
      });
    });
    return () => source.close();
  }, [props.address, props.folder]);

  useEffect(
    () =>
      onMoved((folder, uids) => {
        if (folder === props.folder) drop(uids);
      }),
    [props.folder],
  );

  /**
   * Anchored paging: the next page starts below the last UID shown, whatever arrived since. Asked
   * for as the scroll nears the end (quietly), or by the button (announced).
   */
  const loadMore = async (quiet: boolean) => {
    if (!next || loading.current) return;
    loading.current = true;
    setMore(true);
    try {
      const p = await mailApi.page(props.address, props.folder, { anchor: next, limit: NEXT_PAGE });
      setMessages((current) => {
        const have = new Set((current ?? []).map((m) => m.uid));
        return [...(current ?? []), ...p.messages.filter((m) => !have.has(m.uid))];
      });
      setNext(p.next);
      setTotal(p.total);
      if (!quiet) announce(t('mail:list.loaded', { count: p.messages.length }));
    } catch (e) {
      setError(describeError(e));
    } finally {
      loading.current = false;
      setMore(false);
    }
  };

  const emptied = () => {
    for (const m of messages ?? []) dropped.current.add(m.uid);
    setMessages([]);
    setChecked(new Set());
    setNext(null);
    setTotal(0);
    // The folders' counts are read again; focus goes to the list, the button having left with it.
    notifyMoved(props.folder, []);
    document.querySelector<HTMLElement>('.mail-list-pane')?.focus();
  };

  const [conversations, setConversations] = useState(() => storedView() !== 'flat');
  const threads = useMemo(
    () =>
      conversations
        ? groupThreads(messages ?? [])
        : (messages ?? []).map((m) => ({ key: String(m.uid), messages: [m] })),
    [messages, conversations],
  );
  const switchView = () => {
    setConversations(!conversations);
    storeView(conversations ? 'flat' : 'threads');
  };

  const date = useMemo(
    () => new Intl.DateTimeFormat(language, { dateStyle: 'short', timeStyle: 'short' }),
    [language],
  );
  const current = useMemo(
    () =>
      props.selected ? threads.findIndex((th) => th.messages.some((m) => m.uid === props.selected)) : -1,
    [threads, props.selected],
  );
  if (error) return <Alert kind="error">{error}</Alert>;
  if (!messages) return <p aria-busy="true">{t('shell:app.loading')}</p>;
  if (messages.length === 0) return <p>{t('mail:list.empty')}</p>;
  const toggle = (uids: number[], on: boolean) => {
    const next = new Set(checked);
    for (const uid of uids) {
      if (on) next.add(uid);
      else next.delete(uid);
    }
    setChecked(next);
  };
  // Every message is a row of its own in the flat list; conversations are counted once all are in.
  const setSize = !next ? threads.length : conversations ? -1 : Math.max(total, threads.length);
  return (
    <>
      <div class="mail-toolbar">
        <button type="button" class="button button-quiet" aria-pressed={conversations} onClick={switchView}>
          {t('mail:list.conversations')}
        </button>
        {(props.special === '\\Trash' || props.special === '\\Junk') && (
          <EmptyFolder
            address={props.address}
            folder={props.folder}
            kind={props.special === '\\Trash' ? 'trash' : 'junk'}
            count={total}
            onEmptied={emptied}
          />
        )}
        {checked.size > 0 && (junkable(props.special) || deletable(props.special)) && (
          <>
            <span class="mail-toolbar-count">{t('mail:junk.selected', { count: checked.size })}</span>
            {junkable(props.special) && (
              <JunkButton
                address={props.address}
                folder={props.folder}
                uids={[...checked]}
                inJunk={props.special === '\\Junk'}
              />
            )}
            {deletable(props.special) && (
              <DeleteButton address={props.address} folder={props.folder} uids={[...checked]} />
            )}
          </>
        )}
      </div>
      <WindowedList
        items={threads}
        itemKey={(th) => th.key}
        label={t('mail:list.label')}
        setSize={setSize}
        current={current}
        onNearEnd={() => void loadMore(true)}
        rowClass={(th) => (th.messages.some((x) => !x.flags.includes('\\Seen')) ? 'unread' : undefined)}
        row={({ messages: inThread }) => {
          const m = inThread[0];
          const unread = inThread.some((x) => !x.flags.includes('\\Seen'));
          const from = m.from[0]?.name || m.from[0]?.address || t('mail:list.noSender');
          const subject =
            m.subject === '...' ? t('mail:list.protected') : m.subject || t('mail:list.noSubject');
          const uids = inThread.map((x) => x.uid);
          return (
            <>
              <input
                type="checkbox"
                class="mail-select"
                checked={uids.every((uid) => checked.has(uid))}
                aria-label={t('mail:junk.select', { subject, from })}
                onChange={(e) => toggle(uids, e.currentTarget.checked)}
              />
              <a
                href={href(props.folder, m.uid)}
                aria-current={m.uid === props.selected ? 'true' : undefined}
              >
                <span class="from">
                  {unread && <span class="visually-hidden">{t('mail:list.unread')} </span>}
                  {from}
                </span>
                <span class="subject">{subject}</span>
                {inThread.length > 1 && (
                  <span class="count">{t('mail:list.inThread', { count: inThread.length })}</span>
                )}
                <time dateTime={m.date}>{date.format(new Date(m.date))}</time>
              </a>
            </>
          );
        }}
      />
      {next && (
        <p>
          <button
            type="button"
            class="button button-quiet"
            disabled={more}
            onClick={() => void loadMore(false)}
          >
            {more ? t('shell:app.loading') : t('mail:list.more')}
          </button>
        </p>
      )}
    </>
  );
}

const composeHref = (mode: string, folder: string, uid: number) =>
  `/mail/compose?${new URLSearchParams({ mode, folder, uid: String(uid) })}`;

/**
 * The other messages of the open one's conversation: those of this folder and the owner's own
 * replies from Sent, found on the server by their In-Reply-To and References.
 */
function Conversation(props: {
  address: string;
  folder: string;
  sent: string | null;
  message: OpenedMessage;
  uid: number;
}) {
  const { t, language } = useI18n();
  const [related, setRelated] = useState<Array<Summary & { folder: string }>>([]);
  const ids = [...props.message.references, ...(props.message.messageId ? [props.message.messageId] : [])];
  useEffect(() => {
    if (ids.length === 0) return;
    const folders = [...new Set([props.folder, ...(props.sent ? [props.sent] : [])])];
    void Promise.all(
      folders.map((f) =>
        mailApi.related(props.address, f, ids.slice(-100)).then(
          (r) => r.messages.map((m) => ({ ...m, folder: f })),
          () => [],
        ),
      ),
    ).then((found) =>
      setRelated(
        found
          .flat()
          .filter((m) => !(m.folder === props.folder && m.uid === props.uid))
          .sort((a, b) => Date.parse(a.date) - Date.parse(b.date)),
      ),
    );
  }, [props.address, props.folder, props.uid, props.sent]);
  if (related.length === 0) return null;
  const date = new Intl.DateTimeFormat(language, { dateStyle: 'short', timeStyle: 'short' });
  return (
    <section class="mail-conversation" aria-labelledby="conversation-title">
      <h3 id="conversation-title">{t('mail:read.conversation')}</h3>
      <ul>
        {related.map((m) => (
          <li key={`${m.folder}-${m.uid}`}>
            <a href={href(m.folder, m.uid)}>
              {m.from[0]?.name || m.from[0]?.address} —{' '}
              {m.subject === '...' ? t('mail:list.protected') : m.subject || t('mail:list.noSubject')} —{' '}
              {date.format(new Date(m.date))}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Reader(props: {
  address: string;
  folder: string;
  special: string | null | undefined;
  uid: number;
  isDrafts: boolean;
  sent: string | null;
}) {
  const { t, language } = useI18n();
  const [message, setMessage] = useState<OpenedMessage | null>(null);
  const [error, setError] = useState('');
  const [remote, setRemote] = useState(false);
  const [plain, setPlain] = useState(false);
  const [remembered, setRemembered] = useState(false);
  useEffect(() => {
    setMessage(null);
    setRemote(false);
    setRemembered(false);
    crypto('open', { address: props.address, folder: props.folder, uid: props.uid }).then(
      async (m) => {
        // Remote content loads at once for the senders the owner chose "always" for.
        const sender = m.from[0]?.address.toLowerCase();
        const trusted = await loadPreferences(props.address).then(
          (p) => Boolean(sender && p.remoteSenders.includes(sender)),
          () => false,
        );
        setRemote(trusted);
        setRemembered(trusted);
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
    return sanitiseMail(message.html, {
      remote: remote ? (url) => mailApi.remoteUrl(props.address, url) : undefined,
      cid: (id) => byCid.get(id),
    });
  }, [message, remote, urls]);

  if (error) return <Alert kind="error">{error}</Alert>;
  if (!message) return <p aria-busy="true">{t('mail:read.opening')}</p>;
  const failed = message.authentication.filter(
    (a) =>
      ['spf', 'dkim', 'dmarc'].includes(a.method) && ['fail', 'softfail', 'permerror'].includes(a.result),
  );
  const sender = message.from[0]?.address ?? '';
  const alwaysLoad = async () => {
    setRemote(true);
    try {
      await updatePreferences(props.address, (p) => ({
        ...p,
        remoteSenders: [...new Set([...p.remoteSenders, sender.toLowerCase()])],
      }));
      setRemembered(true);
      announce(t('mail:read.remembered', { sender }));
    } catch (e) {
      setError(describeError(e));
    }
  };
  const forget = async () => {
    try {
      await updatePreferences(props.address, (p) => ({
        ...p,
        remoteSenders: p.remoteSenders.filter((s) => s !== sender.toLowerCase()),
      }));
      setRemembered(false);
      setRemote(false);
      announce(t('mail:read.forgotten', { sender }));
    } catch (e) {
      setError(describeError(e));
    }
  };
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
        <a class="button button-quiet" href={href(props.folder)} data-shortcut="u" aria-keyshortcuts="u">
          {t('mail:read.back')}
        </a>
        {props.isDrafts ? (
          <a class="button" href={composeHref('draft', props.folder, props.uid)}>
            {t('mail:read.editDraft')}
          </a>
        ) : (
          <>
            <a
              class="button"
              href={composeHref('reply', props.folder, props.uid)}
              data-shortcut="r"
              aria-keyshortcuts="r"
            >
              {t('mail:read.reply')}
            </a>
            <a
              class="button button-quiet"
              href={composeHref('all', props.folder, props.uid)}
              data-shortcut="a"
              aria-keyshortcuts="a"
            >
              {t('mail:read.replyAll')}
            </a>
            <a
              class="button button-quiet"
              href={composeHref('forward', props.folder, props.uid)}
              data-shortcut="f"
              aria-keyshortcuts="f"
            >
              {t('mail:read.forward')}
            </a>
          </>
        )}
        {junkable(props.special) && (
          <JunkButton
            address={props.address}
            folder={props.folder}
            uids={[props.uid]}
            inJunk={props.special === '\\Junk'}
          />
        )}
        {deletable(props.special) && (
          <DeleteButton address={props.address} folder={props.folder} uids={[props.uid]} />
        )}
      </nav>
      <p class="mail-status">{message.encrypted ? t('mail:read.encrypted') : t('mail:read.notEncrypted')}</p>
      {message.signature !== 'none' && (
        <p class={message.signature === 'valid' ? 'mail-status' : 'mail-status mail-warning'}>
          {t(`mail:read.signature.${message.signature}`, { from: sender })}
        </p>
      )}
      {failed.length > 0 && (
        <div class="alert alert-error" role="alert">
          <p>{t('mail:read.authFailed', { from: sender })}</p>
          <ul>
            {failed.map((a) => (
              <li key={a.method}>{t(`mail:read.auth.${a.method}`)}</li>
            ))}
          </ul>
        </div>
      )}
      {content && content.blocked > 0 && !remote && (
        <div class="alert alert-info">
          <p>{t('mail:read.remoteBlocked', { count: content.blocked })}</p>
          <div class="mail-actions">
            <button type="button" class="button" onClick={() => setRemote(true)}>
              {t('mail:read.loadOnce')}
            </button>
            {sender && (
              <button type="button" class="button button-quiet" onClick={() => void alwaysLoad()}>
                {t('mail:read.loadAlways', { sender })}
              </button>
            )}
          </div>
        </div>
      )}
      {remembered && (
        <p class="mail-status">
          {t('mail:read.remoteTrusted', { sender })}{' '}
          <button type="button" class="button button-quiet" onClick={() => void forget()}>
            {t('mail:read.forget')}
          </button>
        </p>
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
      <Conversation
        address={props.address}
        folder={props.folder}
        sent={props.sent}
        message={message}
        uid={props.uid}
      />
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

/** The search box, its results or the folder's messages, and the local index's progress. */
function ListPane(props: {
  address: string;
  folder: string;
  special: string | null | undefined;
  folders: Folder[];
  selected?: number;
}) {
  const label = useFolderLabel();
  const progress = useIndexProgress(props.address, props.folder);
  const [searching, setSearching] = useState(() => followingSearch(props.address));
  const folderLabel = (path: string) => {
    const f = props.folders.find((x) => x.path === path);
    return f ? label(f) : path;
  };
  return (
    <>
      <MailSearch
        address={props.address}
        folder={props.folder}
        folderLabel={folderLabel}
        progress={progress}
        selected={props.selected}
        onActive={setSearching}
      />
      {!searching && (
        <MessageList
          key={props.folder}
          address={props.address}
          folder={props.folder}
          special={props.special}
          selected={props.selected}
        />
      )}
    </>
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
  const { route } = useLocation();
  const [folders, setFolders] = useState<Folder[] | null>(null);
  const [moves, setMoves] = useState(0);
  useEffect(() => {
    mailApi.folders(address).then(
      (r) => setFolders(r.folders),
      () => setFolders([]),
    );
  }, [address, folder, moves]);
  // A message moved away (junk, not junk) closes, and the folders' counts are read again.
  useEffect(
    () =>
      onMoved((from, uids) => {
        setMoves((n) => n + 1);
        if (from === folder && uid && uids.includes(uid)) route(href(folder));
      }),
    [folder, uid],
  );
  const special = folders ? (folders.find((f) => f.path === folder)?.specialUse ?? null) : undefined;
  const isDrafts = special === '\\Drafts';
  const sent = folders?.find((f) => f.specialUse === '\\Sent')?.path ?? null;
  return (
    <Unlocked>
      <Screen title={t('mail:home.title')} class="screen mail-screen">
        <div class="mail-layout">
          <div class="mail-side">
            <a class="button" href="/mail/compose" data-shortcut="c" aria-keyshortcuts="c">
              {t('mail:nav.write')}
            </a>
            <FolderList folders={folders ?? []} current={folder} />
            <Shortcuts />
          </div>
          <section class="mail-list-pane" aria-label={t('mail:list.label')} tabIndex={-1}>
            <ListPane
              address={address}
              folder={folder}
              special={special}
              folders={folders ?? []}
              selected={uid}
            />
          </section>
          {uid && (
            <Reader
              address={address}
              folder={folder}
              special={special}
              uid={uid}
              isDrafts={isDrafts}
              sent={sent}
            />
          )}
        </div>
      </Screen>
    </Unlocked>
  );
}
