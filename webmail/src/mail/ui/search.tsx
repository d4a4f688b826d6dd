import { useEffect, useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { onLogout } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { crypto, onIndexProgress } from '../crypto/client';
import type { IndexProgress, SearchHit } from '../crypto/protocol';
import { mailApi, type Summary } from '../mail-api';

const href = (folder: string, uid: number) => `/mail/f/${encodeURIComponent(folder)}/${uid}`;

/** Starts (or resumes) indexing the folder, and follows its progress. */
export function useIndexProgress(address: string, folder: string): IndexProgress | null {
  const [progress, setProgress] = useState<IndexProgress | null>(null);
  useEffect(() => {
    setProgress(null);
    const stop = onIndexProgress((p) => {
      if (p.address === address && p.folder === folder) setProgress(p);
    });
    crypto('indexFolder', { address, folder }).then(setProgress, () => undefined);
    return stop;
  }, [address, folder]);
  return progress;
}

/** "Indexed 1 200 of 10 000": how much of the folder the local body search covers yet. */
export function IndexStatus(props: { progress: IndexProgress | null }) {
  const { t, language } = useI18n();
  const { progress } = props;
  if (!progress) return null;
  const n = new Intl.NumberFormat(language);
  const text = progress.done
    ? t('mail:search.indexed', { count: progress.total, total: n.format(progress.total) })
    : t('mail:search.indexing', { indexed: n.format(progress.indexed), total: n.format(progress.total) });
  return (
    <p class="mail-index-status">
      <span id="mail-index-status">{text}</span>
      {!progress.done && (
        <progress max={progress.total || 1} value={progress.indexed} aria-labelledby="mail-index-status" />
      )}
    </p>
  );
}

interface Results {
  /** The folder whose headers the server searched. */
  folder: string;
  query: string;
  server: Summary[] | null;
  serverError: string;
  local: SearchHit[] | null;
  localError: string;
}

/**
 * The last search, kept in memory while the person opens its results: opening one may draw the
 * mailbox screen anew (another route, another folder), and the results must still be there.
 */
let kept: { address: string; text: string; results: Results } | null = null;
/** Set when a result is opened, so the folder change that follows keeps the results. */
let following = false;
onLogout(() => {
  kept = null;
  following = false;
});

/** Whether the screen being drawn comes from opening a result: the search then shows at once. */
export function followingSearch(address: string): boolean {
  return following && kept?.address === address;
}

/**
 * One search box, two searches: the server's header search (From, To, Subject, in the clear
 * headers Dovecot holds) and the local body search (the index this browser built from what it
 * decrypted). The results say which is which; their counts are announced.
 */
export function MailSearch(props: {
  address: string;
  folder: string;
  folderLabel: (path: string) => string;
  progress: IndexProgress | null;
  /** The open message, marked among the results. */
  selected?: number;
  onActive: (active: boolean) => void;
}) {
  const { t, language } = useI18n();
  const [restored] = useState(() => (followingSearch(props.address) ? kept : null));
  const [text, setText] = useState(restored?.text ?? '');
  const [results, setResults] = useState<Results | null>(restored?.results ?? null);
  const [busy, setBusy] = useState(false);
  const shownFolder = useRef(props.folder);

  // Another folder chosen ends the search; opening a result (in this folder or another) does not.
  useEffect(() => {
    const opened = following;
    following = false;
    if (props.folder === shownFolder.current) return;
    shownFolder.current = props.folder;
    if (opened && results) return;
    kept = null;
    setResults(null);
    props.onActive(false);
  }, [props.folder, props.selected]);

  const clear = () => {
    kept = null;
    setText('');
    setResults(null);
    props.onActive(false);
  };

  const run = async (event: Event) => {
    event.preventDefault();
    const query = text.trim();
    if (!query) return clear();
    setBusy(true);
    props.onActive(true);
    const [server, local] = await Promise.allSettled([
      mailApi.page(props.address, props.folder, { q: query, limit: 50 }),
      crypto('search', { address: props.address, query }),
    ]);
    const next: Results = {
      folder: props.folder,
      query,
      server: server.status === 'fulfilled' ? server.value.messages : null,
      serverError: server.status === 'rejected' ? describeError(server.reason) : '',
      local: local.status === 'fulfilled' ? local.value : null,
      localError: local.status === 'rejected' ? t('mail:search.localFailed') : '',
    };
    kept = { address: props.address, text: query, results: next };
    setResults(next);
    setBusy(false);
    announce(
      t('mail:search.announce', {
        server: next.server?.length ?? 0,
        local: next.local?.length ?? 0,
      }),
    );
  };

  const date = new Intl.DateTimeFormat(language, { dateStyle: 'short', timeStyle: 'short' });
  const subject = (s: string) => (s === '...' ? t('mail:list.protected') : s || t('mail:list.noSubject'));
  const item = (
    key: string,
    folder: string,
    uid: number,
    from: string,
    subj: string,
    when: string | null,
  ) => (
    <li key={key}>
      <a
        href={href(folder, uid)}
        aria-current={folder === props.folder && uid === props.selected ? 'true' : undefined}
        onClick={() => {
          following = true;
        }}
      >
        <span class="from">{from || t('mail:list.noSender')}</span>
        <span class="subject">{subject(subj)}</span>
        {folder !== props.folder && <span class="count">{props.folderLabel(folder)}</span>}
        {when && <time dateTime={when}>{date.format(new Date(when))}</time>}
      </a>
    </li>
  );

  return (
    <>
      <form
        role="search"
        class="mail-search"
        aria-label={t('mail:search.label')}
        onSubmit={(e) => void run(e)}
      >
        <label for="mail-search-input">{t('mail:search.field')}</label>
        <div class="mail-search-row">
          <input
            id="mail-search-input"
            type="search"
            value={text}
            maxLength={200}
            aria-describedby="mail-search-hint"
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && results) {
                e.preventDefault();
                clear();
              }
            }}
          />
          <button type="submit" class="button" disabled={busy}>
            {t('mail:search.submit')}
          </button>
        </div>
        <p id="mail-search-hint" class="field-hint">
          {t('mail:search.hint')}
        </p>
      </form>
      <IndexStatus progress={props.progress} />
      {busy && <p aria-busy="true">{t('mail:search.busy')}</p>}
      {results && !busy && (
        <section class="mail-search-results" aria-labelledby="mail-search-title">
          <h2 id="mail-search-title">{t('mail:search.title', { query: results.query })}</h2>
          <p>
            <button type="button" class="button button-quiet" onClick={clear}>
              {t('mail:search.clear')}
            </button>
          </p>
          <h3 id="mail-search-server">{t('mail:search.server', { count: results.server?.length ?? 0 })}</h3>
          {results.serverError ? (
            <Alert kind="error">{results.serverError}</Alert>
          ) : results.server?.length ? (
            <ul class="mail-list" aria-labelledby="mail-search-server">
              {results.server.map((m) =>
                item(
                  `s-${m.uid}`,
                  results.folder,
                  m.uid,
                  m.from[0]?.name || m.from[0]?.address || '',
                  m.subject,
                  m.date,
                ),
              )}
            </ul>
          ) : (
            <p>{t('mail:search.none')}</p>
          )}
          <h3 id="mail-search-local">{t('mail:search.local', { count: results.local?.length ?? 0 })}</h3>
          {results.localError ? (
            <Alert kind="error">{results.localError}</Alert>
          ) : results.local?.length ? (
            <ul class="mail-list" aria-labelledby="mail-search-local">
              {results.local.map((m) =>
                item(`l-${m.folder}-${m.uid}`, m.folder, m.uid, m.from, m.subject, m.date),
              )}
            </ul>
          ) : (
            <p>{t('mail:search.none')}</p>
          )}
        </section>
      )}
    </>
  );
}
