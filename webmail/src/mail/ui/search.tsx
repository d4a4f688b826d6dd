import { useEffect, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
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
  query: string;
  server: Summary[] | null;
  serverError: string;
  local: SearchHit[] | null;
  localError: string;
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
  onActive: (active: boolean) => void;
}) {
  const { t, language } = useI18n();
  const [text, setText] = useState('');
  const [results, setResults] = useState<Results | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setResults(null);
    props.onActive(false);
  }, [props.folder]);

  const clear = () => {
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
      query,
      server: server.status === 'fulfilled' ? server.value.messages : null,
      serverError: server.status === 'rejected' ? describeError(server.reason) : '',
      local: local.status === 'fulfilled' ? local.value : null,
      localError: local.status === 'rejected' ? t('mail:search.localFailed') : '',
    };
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
      <a href={href(folder, uid)}>
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
                  props.folder,
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
