import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { crypto } from '../crypto/client';
import { newMessageId } from '../crypto/mime-writer';
import type { Draft, OpenedMessage } from '../crypto/protocol';
import {
  encodedSize,
  fieldsFrom,
  parseAddresses,
  signatureBlock,
  swapSignature,
  type ComposeMode,
  type FormFields,
} from '../compose/draft-fields';
import { mailApi, type MailSettings, type RecipientKey } from '../mail-api';
import { loadPreferences, type Preferences } from '../preferences';
import { Unlocked } from '../ui/unlock';

/** Every few seconds, what changed is saved to Drafts, encrypted to the owner's key. */
const AUTOSAVE_MS = 5000;

interface Attached {
  filename: string;
  mimeType: string;
  content: ArrayBuffer;
}

const EMPTY: FormFields = {
  from: '',
  to: '',
  cc: '',
  bcc: '',
  subject: '',
  text: '',
  inReplyTo: null,
  references: [],
};

function Composer(props: { address: string; mode: ComposeMode; folder: string; uid: number | null }) {
  const { t, language } = useI18n();
  const { route } = useLocation();
  const [settings, setSettings] = useState<MailSettings | null>(null);
  const [preferences, setPreferences] = useState<Preferences | null>(null);
  const [sign, setSign] = useState(false);
  const [special, setSpecial] = useState<{ drafts: string; sent: string }>({
    drafts: 'Drafts',
    sent: 'Sent',
  });
  const [fields, setFields] = useState<FormFields>(EMPTY);
  const [attachments, setAttachments] = useState<Attached[]>([]);
  const [loadError, setLoadError] = useState('');
  const [error, setError] = useState('');
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [keys, setKeys] = useState<Record<string, RecipientKey | null>>({});
  const [endToEnd, setEndToEnd] = useState(true);
  const [saved, setSaved] = useState<Date | null>(null);
  const [busy, setBusy] = useState(false);
  const messageId = useRef('');
  const draftUid = useRef<number | null>(props.mode === 'draft' ? props.uid : null);
  const version = useRef(0);
  const savedVersion = useRef(0);
  const saving = useRef<Promise<void> | null>(null);
  const sent = useRef(false);
  const body = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    void (async () => {
      try {
        const [s, { folders }, prefs] = await Promise.all([
          mailApi.settings(props.address),
          mailApi.folders(props.address),
          loadPreferences(props.address),
        ]);
        const find = (use: string, fallback: string) =>
          folders.find((f) => f.specialUse === use)?.path ?? fallback;
        setSpecial({ drafts: find('\\Drafts', 'Drafts'), sent: find('\\Sent', 'Sent') });
        setSettings(s);
        setPreferences(prefs);
        setSign(prefs.signOutgoing && s.encryptionMode === 'generated');
        let initial: FormFields = {
          ...EMPTY,
          from: s.identities.find((i) => i.primary)?.address ?? props.address,
        };
        let original: OpenedMessage | null = null;
        if (props.mode !== 'new' && props.uid) {
          original = await crypto('open', { address: props.address, folder: props.folder, uid: props.uid });
          const when = original.date
            ? new Intl.DateTimeFormat(language, { dateStyle: 'long', timeStyle: 'short' }).format(
                new Date(original.date),
              )
            : '';
          const author = original.from[0];
          initial = fieldsFrom(props.mode, original, s.identities, {
            wrote: t('mail:compose.wrote', { date: when, name: author?.name || author?.address || '' }),
            forwarded: t('mail:compose.forwarded'),
          });
          if (props.mode === 'forward' || props.mode === 'draft') {
            setAttachments(original.attachments.filter((a) => !a.inline));
          }
          if (props.mode === 'draft' && original.messageId) messageId.current = original.messageId;
        }
        // The signature of the identity it is written from, above any quoted text; a draft has its own.
        if (props.mode !== 'draft') {
          initial.text = `${signatureBlock(prefs.signatures[initial.from.toLowerCase()])}${initial.text}`;
        }
        messageId.current ||= newMessageId(initial.from);
        setFields(initial);
        // The cursor goes where the person writes: the body for a reply, the recipients otherwise.
        if (props.mode === 'reply' || props.mode === 'all') {
          requestAnimationFrame(() => {
            body.current?.focus();
            body.current?.setSelectionRange(0, 0);
          });
        }
      } catch (e) {
        setLoadError(describeError(e));
      }
    })();
  }, [props.address, props.mode, props.folder, props.uid]);

  const update = (patch: Partial<FormFields>) => {
    version.current += 1;
    setFields((f) => ({ ...f, ...patch }));
  };

  const recipients = useMemo(() => {
    const all = [fields.to, fields.cc, fields.bcc].map(parseAddresses);
    return { people: all.flatMap((r) => r.people), invalid: all.flatMap((r) => r.invalid) };
  }, [fields.to, fields.cc, fields.bcc]);

  // End-to-end encryption is possible when every recipient has a key the server could find.
  const addresses = [...new Set(recipients.people.map((p) => p.address.toLowerCase()))];
  const missing = addresses.filter((a) => !(a in keys));
  useEffect(() => {
    if (missing.length === 0 || settings?.encryptionMode === 'none') return;
    const timer = setTimeout(() => {
      mailApi.recipientKeys(props.address, missing.slice(0, 50)).then(
        (r) => setKeys((k) => ({ ...k, ...r.keys })),
        () => undefined,
      );
    }, 400);
    return () => clearTimeout(timer);
  }, [missing.join(','), settings]);
  const allKeysKnown = addresses.length > 0 && addresses.every((a) => keys[a]);
  const encrypting = allKeysKnown && endToEnd;

  const draft = (): Draft => {
    const name = settings?.identities.find((i) => i.address === fields.from)?.name ?? '';
    const list = (s: string) => parseAddresses(s).people;
    return {
      from: { name, address: fields.from },
      to: list(fields.to),
      cc: list(fields.cc),
      bcc: list(fields.bcc),
      subject: fields.subject,
      text: fields.text,
      inReplyTo: fields.inReplyTo,
      references: fields.references,
      attachments,
      messageId: messageId.current,
    };
  };

  const saveDraft = async (): Promise<void> => {
    if (!settings || sent.current || version.current === savedVersion.current) return;
    const at = version.current;
    const { copy } = await crypto('compose', {
      draft: draft(),
      recipientKeys: null,
      protectSubject: settings.protectedSubject,
      sign: false,
    });
    const { uid } = await mailApi.append(
      props.address,
      special.drafts,
      copy,
      ['\\Draft', '\\Seen'],
      draftUid.current,
    );
    draftUid.current = uid;
    savedVersion.current = at;
    setSaved(new Date());
  };

  const autosave = () => {
    saving.current ??= saveDraft()
      .catch((e) => setError(describeError(e)))
      .finally(() => {
        saving.current = null;
      });
    return saving.current;
  };

  // One timer for the screen's life, calling the latest closure: typing must not reset it.
  const latestAutosave = useRef(autosave);
  latestAutosave.current = autosave;
  useEffect(() => {
    const timer = setInterval(() => void latestAutosave.current(), AUTOSAVE_MS);
    return () => clearInterval(timer);
  }, []);

  const attach = async (files: FileList | null) => {
    if (!files || !settings) return;
    const added: Attached[] = [];
    for (const file of Array.from(files)) {
      added.push({
        filename: file.name,
        mimeType: file.type || 'application/octet-stream',
        content: await file.arrayBuffer(),
      });
    }
    const next = [...attachments, ...added];
    // Checked before anything is uploaded: the platform refuses what is over its limit.
    if (encodedSize(fields.text, next) > settings.maxMessageBytes) {
      setError(t('mail:compose.tooLarge', { limit: formatSize(settings.maxMessageBytes, language) }));
      return;
    }
    version.current += 1;
    setAttachments(next);
  };

  const send = async (event?: Event) => {
    event?.preventDefault();
    if (!settings || busy) return;
    const problems: Record<string, string> = {};
    for (const field of ['to', 'cc', 'bcc'] as const) {
      const bad = parseAddresses(fields[field]).invalid;
      if (bad.length) problems[field] = t('mail:compose.invalidAddress', { address: bad[0] });
    }
    if (recipients.people.length === 0 && !problems.to) problems.to = t('mail:compose.noRecipient');
    setInvalid(problems);
    if (Object.keys(problems).length) {
      document.getElementById(`compose-${Object.keys(problems)[0]}`)?.focus();
      return;
    }
    setBusy(true);
    setError('');
    // No autosave from now on: the draft must not outlive the message it became.
    sent.current = true;
    try {
      await saving.current;
      const composed = await crypto('compose', {
        draft: draft(),
        recipientKeys: encrypting ? addresses.map((a) => keys[a]!.publicKey) : null,
        protectSubject: settings.protectedSubject,
        sign,
      });
      await mailApi.send(props.address, composed.outgoing);
      // The message left: keeping its copy and tidying the draft must not make it look unsent.
      await mailApi.append(props.address, special.sent, composed.copy, ['\\Seen']).catch(() => undefined);
      if (draftUid.current) {
        await mailApi.remove(props.address, special.drafts, [draftUid.current], true).catch(() => undefined);
      }
      if ((props.mode === 'reply' || props.mode === 'all') && props.uid) {
        await mailApi
          .flags(props.address, props.folder, [props.uid], { add: ['\\Answered'] })
          .catch(() => undefined);
      }
      announce(t('mail:compose.sent'));
      route(
        `/mail/f/${encodeURIComponent(props.folder)}${props.mode === 'draft' ? '' : props.uid ? `/${props.uid}` : ''}`,
      );
    } catch (e) {
      sent.current = false;
      setError(describeError(e));
      setBusy(false);
    }
  };

  const discard = async () => {
    sent.current = true;
    await saving.current;
    if (draftUid.current) {
      await mailApi.remove(props.address, special.drafts, [draftUid.current], true).catch(() => undefined);
    }
    announce(t('mail:compose.discarded'));
    route(`/mail/f/${encodeURIComponent(props.folder)}`);
  };

  if (loadError) return <Alert kind="error">{loadError}</Alert>;
  if (!settings) return <p aria-busy="true">{t('shell:app.loading')}</p>;
  const time = new Intl.DateTimeFormat(language, { timeStyle: 'short' });
  return (
    <form
      class="form mail-compose"
      onSubmit={send}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send(e);
      }}
      noValidate
    >
      {error && <Alert kind="error">{error}</Alert>}
      <div class="field">
        <label for="compose-from">{t('mail:compose.from')}</label>
        <select
          id="compose-from"
          value={fields.from}
          onChange={(e) => {
            const from = e.currentTarget.value;
            const signature = (address: string) => preferences?.signatures[address.toLowerCase()];
            update({ from, text: swapSignature(fields.text, signature(fields.from), signature(from)) });
          }}
        >
          {settings.identities.map((i) => (
            <option key={i.address} value={i.address}>
              {i.name ? `${i.name} <${i.address}>` : i.address}
            </option>
          ))}
        </select>
      </div>
      <TextField
        id="compose-to"
        label={t('mail:compose.to')}
        value={fields.to}
        onValue={(to) => update({ to })}
        type="email"
        autoComplete="email"
        error={invalid.to}
        hint={t('mail:compose.addressHint')}
      />
      <TextField
        id="compose-cc"
        label={t('mail:compose.cc')}
        value={fields.cc}
        onValue={(cc) => update({ cc })}
        type="email"
        error={invalid.cc}
      />
      <TextField
        id="compose-bcc"
        label={t('mail:compose.bcc')}
        value={fields.bcc}
        onValue={(bcc) => update({ bcc })}
        type="email"
        error={invalid.bcc}
      />
      <div class="field">
        <label for="compose-subject">{t('mail:compose.subject')}</label>
        <input
          id="compose-subject"
          type="text"
          value={fields.subject}
          onInput={(e) => update({ subject: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for="compose-body">{t('mail:compose.body')}</label>
        <textarea
          id="compose-body"
          ref={body}
          rows={14}
          value={fields.text}
          onInput={(e) => update({ text: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for="compose-files">{t('mail:compose.attach')}</label>
        <p id="compose-files-hint" class="field-hint">
          {t('mail:compose.attachHint', { limit: formatSize(settings.maxMessageBytes, language) })}
        </p>
        <input
          id="compose-files"
          type="file"
          multiple
          aria-describedby="compose-files-hint"
          onChange={(e) => void attach(e.currentTarget.files)}
        />
        {attachments.length > 0 && (
          <ul class="compose-attachments" aria-label={t('mail:compose.attachments')}>
            {attachments.map((a, i) => (
              <li key={`${a.filename}-${i}`}>
                {a.filename} ({formatSize(a.content.byteLength, language)}){' '}
                <button
                  type="button"
                  class="button button-quiet"
                  onClick={() => {
                    version.current += 1;
                    setAttachments(attachments.filter((_, j) => j !== i));
                  }}
                >
                  {t('mail:compose.removeAttachment', { name: a.filename })}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      {settings.encryptionMode !== 'none' && (
        <div class="field">
          <label class="checkbox">
            <input
              type="checkbox"
              checked={encrypting}
              disabled={!allKeysKnown}
              onChange={(e) => setEndToEnd(e.currentTarget.checked)}
            />{' '}
            {t('mail:compose.endToEnd')}
          </label>
          <p class="field-hint">
            {allKeysKnown
              ? t('mail:compose.endToEndReady')
              : addresses.length
                ? t('mail:compose.endToEndMissing', {
                    addresses: addresses.filter((a) => keys[a] === null).join(', ') || '…',
                  })
                : t('mail:compose.endToEndNone')}
          </p>
        </div>
      )}
      {settings.encryptionMode === 'generated' && (
        <div class="field">
          <label class="checkbox">
            <input
              type="checkbox"
              checked={sign || encrypting}
              disabled={encrypting}
              aria-describedby="compose-sign-hint"
              onChange={(e) => setSign(e.currentTarget.checked)}
            />{' '}
            {t('mail:compose.sign')}
          </label>
          <p id="compose-sign-hint" class="field-hint">
            {encrypting ? t('mail:compose.signEncrypted') : t('mail:compose.signHint')}
          </p>
        </div>
      )}
      <p class="compose-saved">{saved ? t('mail:compose.saved', { time: time.format(saved) }) : ''}</p>
      <div class="actions">
        <button type="submit" class="button" disabled={busy} aria-keyshortcuts="Control+Enter">
          {busy ? t('mail:compose.sending') : t('mail:compose.send')}
        </button>
        <button type="button" class="button button-quiet" onClick={() => void discard()}>
          {t('mail:compose.discard')}
        </button>
      </div>
    </form>
  );
}

function formatSize(bytes: number, language: string): string {
  const mb = bytes >= 1_000_000;
  return new Intl.NumberFormat(language, {
    style: 'unit',
    unit: mb ? 'megabyte' : 'kilobyte',
    maximumFractionDigits: 1,
  }).format(bytes / (mb ? 1_000_000 : 1000));
}

const MODES: ComposeMode[] = ['new', 'reply', 'all', 'forward', 'draft'];

/** Writing: a new message, a reply, a reply to all, a forward, or a draft taken up again. */
export default function ComposeScreen() {
  const { t } = useI18n();
  const { me } = useSession();
  const { query } = useRoute();
  const address = me.type === 'mailbox' ? me.address : '';
  const mode = MODES.find((m) => m === query.mode) ?? 'new';
  const uid = Number(query.uid) > 0 ? Number(query.uid) : null;
  const title = t(`mail:compose.title.${mode}`);
  return (
    <Unlocked>
      <Screen title={title} class="screen mail-screen">
        <Composer
          key={`${mode}-${query.folder}-${uid}`}
          address={address}
          mode={mode}
          folder={query.folder || 'INBOX'}
          uid={uid}
        />
      </Screen>
    </Unlocked>
  );
}
