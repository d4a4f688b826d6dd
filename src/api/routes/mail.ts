import { finished } from 'node:stream';
import { raw as rawBodyParser, type Router } from 'express';
import { z } from 'zod';
import type { AppContext, CommandContext } from '../../context';
import { errors } from '../../errors';
import { listIdentities } from '../../mail/identities';
import { markJunk } from '../../mail/mark-junk';
import { logoutOrClose, openImap } from '../../mail/imap-pool';
import {
  appendMessage,
  changesSince,
  createFolder,
  deleteFolder,
  deleteMessages,
  emptyFolder,
  inFolder,
  listFolders,
  listPage,
  mapImapError,
  moveMessages,
  referencing,
  renameFolder,
  setFlags,
  summaries,
} from '../../mail/mail-store';
import { savePreferences } from '../../mail/commands/save-preferences';
import { assertStorable, prepareOutgoing, submit } from '../../mail/outgoing';
import { findPreferences } from '../../mail/preferences';
import { findRecipientKeys } from '../../mail/recipient-keys';
import { fetchRemoteImage } from '../../mail/remote-image';
import { sessionBlobKey } from '../../mail/session-key';
import { watchFolder } from '../../mail/watch-folder';
import { webmailOf } from '../../mail/webmail-service';
import { findMailboxForActor } from '../../mailboxes/mailboxes';
import { emailAddressSchema } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { limiter, mutationLimiter } from '../middleware/rate-limit';

const FLAG = z
  .string()
  .regex(/^(\\(Seen|Answered|Flagged|Draft)|\$?[A-Za-z0-9_.-]{1,64})$/, 'an IMAP flag or keyword');
const UIDS = z.array(z.number().int().positive()).min(1).max(1000);
const FOLDER = z.string().min(1).max(500);
const mailboxParams = z.strictObject({ address: emailAddressSchema });
const folderParams = z.strictObject({ address: emailAddressSchema, folder: FOLDER });
const messageParams = folderParams.extend({ uid: z.coerce.number().int().positive() });

/**
 * The webmail's mail API, an IMAP proxy to Dovecot for the session's own mailbox. Another
 * mailbox, a console account, a racine or an API token all get the 404 of a mailbox that does not
 * exist: mail is read only by its owner, and only in a browser session.
 *
 * These routes change the owner's mail in Dovecot, never giroflee's state in PostgreSQL, so none
 * holds a transaction while it waits on IMAP or SMTP (`transaction: false`), and none writes to
 * the audit log: a log of who read, filed or wrote which message is exactly the metadata the
 * platform promises not to keep.
 */
export function mountMail(router: Router, app: AppContext): void {
  const webmail = webmailOf(app);
  const limit = mutationLimiter();
  // A message may hold dozens of images: reading is not a mutation, but each one is a fetch.
  const remoteLimit = limiter(600);
  // Messages travel as they are (message/rfc822), never as JSON.
  const rawMessage = rawBodyParser({ type: 'message/rfc822', limit: app.config.relay.maxMessageBytes });
  router.use('/mail', rawMessage);

  async function own(ctx: CommandContext, address: z.output<typeof emailAddressSchema>) {
    const { actor } = ctx;
    if (actor.type !== 'mailbox' || !actor.sessionId) throw errors.notFound();
    const mailbox = await findMailboxForActor(ctx, address, 'owner');
    if (mailbox.id !== actor.id) throw errors.notFound();
    return { mailbox, session: { sessionId: actor.sessionId, address: mailbox.address } };
  }

  /** Runs an IMAP operation on the owner's connection, with IMAP refusals as API errors. */
  async function imap<T>(
    ctx: CommandContext,
    address: z.output<typeof emailAddressSchema>,
    fn: Parameters<typeof webmail.pool.use<T>>[1],
  ): Promise<T> {
    const { session } = await own(ctx, address);
    try {
      return await webmail.pool.use(session, fn);
    } catch (e) {
      throw mapImapError(e);
    }
  }

  const rawBody = (body: unknown): Buffer => {
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw errors.badRequest('message_expected', {
        fr: 'Le corps de la requête doit être un message (Content-Type: message/rfc822).',
        en: 'The request body must be a message (Content-Type: message/rfc822).',
      });
    }
    return body;
  };

  defineRoute(router, app, {
    method: 'get',
    path: '/mail/:address/folders',
    summary: 'Webmail: the mailbox’s folders with message and unread counts',
    tags: ['mail'],
    params: mailboxParams,
    handler: async ({ ctx, params }) => ({
      folders: await imap(ctx, params.address, (client) => listFolders(client)),
    }),
  });

  defineRoute(router, app, {
    method: 'post',
    transaction: false,
    path: '/mail/:address/folders',
    summary: 'Webmail: create a folder',
    tags: ['mail'],
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({ path: FOLDER }),
    handler: async ({ ctx, params, body }) =>
      imap(ctx, params.address, (client) => createFolder(client, body.path)),
  });

  defineRoute(router, app, {
    method: 'patch',
    transaction: false,
    path: '/mail/:address/folders/:folder',
    summary: 'Webmail: rename a folder (not the inbox, sent, drafts, trash or junk)',
    tags: ['mail'],
    rateLimit: limit,
    params: folderParams,
    body: z.strictObject({ path: FOLDER }),
    handler: async ({ ctx, params, body }) =>
      imap(ctx, params.address, (client) => renameFolder(client, params.folder, body.path)),
  });

  defineRoute(router, app, {
    method: 'delete',
    transaction: false,
    path: '/mail/:address/folders/:folder',
    summary: 'Webmail: delete a folder and its messages (not a special-use folder)',
    tags: ['mail'],
    rateLimit: limit,
    params: folderParams,
    status: 204,
    handler: async ({ ctx, params }) => {
      await imap(ctx, params.address, (client) => deleteFolder(client, params.folder));
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mail/:address/folders/:folder/messages',
    summary:
      'Webmail: a page of messages, newest first (UID SORT by date, or by arrival), anchored on the last UID of the previous page; `q` searches From/To/Subject on the server; `uids` fetches given messages',
    tags: ['mail'],
    params: folderParams,
    query: z.strictObject({
      anchor: z.coerce.number().int().positive().optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      order: z.enum(['date', 'arrival']).default('date'),
      q: z.string().min(1).max(200).optional(),
      field: z.enum(['from', 'to', 'subject', 'any']).default('any'),
      uids: z
        .string()
        .regex(/^\d+(,\d+){0,199}$/)
        .optional(),
    }),
    handler: async ({ ctx, params, query }) =>
      imap(ctx, params.address, (client, memo) =>
        inFolder(client, params.folder, async () => {
          if (query.uids) {
            return { messages: await summaries(client, query.uids.split(',').map(Number)) };
          }
          return listPage(client, memo, {
            order: query.order,
            anchor: query.anchor,
            limit: query.limit,
            search: query.q ? { field: query.field, text: query.q } : undefined,
          });
        }),
      ),
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mail/:address/folders/:folder/changes',
    summary: 'Webmail: flags changed, messages arrived and UIDs expunged since a modseq (CONDSTORE/QRESYNC)',
    tags: ['mail'],
    params: folderParams,
    query: z.strictObject({ since: z.string().regex(/^\d{1,20}$/) }),
    handler: async ({ ctx, params, query }) =>
      imap(ctx, params.address, (client) =>
        inFolder(client, params.folder, () => changesSince(client, BigInt(query.since))),
      ),
  });

  defineRoute(router, app, {
    method: 'post',
    transaction: false,
    path: '/mail/:address/folders/:folder/related',
    summary: 'Webmail: messages of this folder that answer any of the given Message-IDs (conversations)',
    tags: ['mail'],
    params: folderParams,
    body: z.strictObject({ messageIds: z.array(z.string().min(3).max(998)).min(1).max(100) }),
    status: 200,
    handler: async ({ ctx, params, body }) =>
      imap(ctx, params.address, (client) =>
        inFolder(client, params.folder, async () => ({
          messages: await referencing(client, body.messageIds),
        })),
      ),
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mail/:address/folders/:folder/messages/:uid',
    summary: 'Webmail: the message as stored (message/rfc822, ciphertext for encrypted mail), streamed',
    tags: ['mail'],
    params: messageParams,
    handler: async ({ ctx, params, res }) => {
      const { session } = await own(ctx, params.address);
      try {
        await webmail.pool.use(session, async (client) => {
          const lock = await client.getMailboxLock(params.folder);
          try {
            const download = await client.download(String(params.uid), undefined, { uid: true });
            if (!download || !('content' in download) || !download.content) throw errors.notFound();
            const content = download.content;
            // The browser may be gone already (a reload, an ended Worker), even before this began.
            if (!res.destroyed) {
              res.status(200);
              res.setHeader('Content-Type', 'message/rfc822');
              res.setHeader('Cache-Control', 'private, no-store');
              if (download.meta?.expectedSize)
                res.setHeader('X-Message-Size', String(download.meta.expectedSize));
              content.pipe(res);
            }
            // On the last byte sent, or at once when the browser has left.
            await new Promise<void>((resolve, reject) => {
              content.once('error', reject);
              finished(res, () => resolve());
            });
            // Left unread, the rest would hold imapflow's download, and the session's connection
            // behind it, for ever; destroyed, imapflow stops fetching it.
            if (!res.writableFinished) content.destroy();
          } finally {
            lock.release();
          }
        });
      } catch (e) {
        if (res.headersSent) return undefined;
        throw mapImapError(e);
      }
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'post',
    transaction: false,
    path: '/mail/:address/folders/:folder/messages',
    summary:
      'Webmail: store a message (a draft, a sent copy), body message/rfc822; encrypted to the owner unless the mailbox is in mode none; `replace` removes the copy it supersedes (the previous autosave)',
    tags: ['mail'],
    rateLimit: limit,
    params: folderParams,
    query: z.strictObject({
      flags: z.string().max(200).optional(),
      replace: z.coerce.number().int().positive().optional(),
    }),
    handler: async ({ ctx, params, query, req }) => {
      const { mailbox } = await own(ctx, params.address);
      const raw = rawBody(req.body);
      await assertStorable(raw, mailbox.encryption_mode);
      const flags = (query.flags ?? '').split(',').filter(Boolean);
      for (const f of flags) FLAG.parse(f);
      return imap(ctx, params.address, (client) =>
        appendMessage(client, params.folder, raw, flags, query.replace),
      );
    },
  });

  defineRoute(router, app, {
    method: 'post',
    transaction: false,
    path: '/mail/:address/folders/:folder/flags',
    summary: 'Webmail: add or remove flags (\\Seen, \\Flagged, \\Answered, keywords) on messages',
    tags: ['mail'],
    rateLimit: limit,
    params: folderParams,
    body: z.strictObject({
      uids: UIDS,
      add: z.array(FLAG).max(10).optional(),
      remove: z.array(FLAG).max(10).optional(),
    }),
    status: 204,
    handler: async ({ ctx, params, body }) => {
      await imap(ctx, params.address, (client) =>
        inFolder(client, params.folder, () => setFlags(client, body.uids, body)),
      );
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'post',
    transaction: false,
    path: '/mail/:address/folders/:folder/move',
    summary: 'Webmail: move messages to another folder',
    tags: ['mail'],
    rateLimit: limit,
    params: folderParams,
    body: z.strictObject({ uids: UIDS, to: FOLDER }),
    status: 200,
    handler: async ({ ctx, params, body }) => ({
      uidMap: await imap(ctx, params.address, (client) =>
        inFolder(client, params.folder, () => moveMessages(client, body.uids, body.to)),
      ),
    }),
  });

  defineRoute(router, app, {
    method: 'post',
    transaction: false,
    path: '/mail/:address/folders/:folder/junk',
    summary:
      'Webmail: mark messages as junk (moved into Junk) or not junk (out of Junk into the inbox); the move teaches the platform’s filter through their digests',
    tags: ['mail'],
    rateLimit: limit,
    params: folderParams,
    body: z.strictObject({ uids: UIDS, junk: z.boolean() }),
    status: 200,
    handler: async ({ ctx, params, body }) =>
      imap(ctx, params.address, (client) =>
        inFolder(client, params.folder, () => markJunk(client, params.folder, body.uids, body.junk)),
      ),
  });

  defineRoute(router, app, {
    method: 'post',
    transaction: false,
    path: '/mail/:address/folders/:folder/delete',
    summary: 'Webmail: delete messages (to the Trash; for good from the Trash or with `permanent`)',
    tags: ['mail'],
    rateLimit: limit,
    params: folderParams,
    body: z.strictObject({ uids: UIDS, permanent: z.boolean().default(false) }),
    status: 200,
    handler: async ({ ctx, params, body }) => ({
      result: await imap(ctx, params.address, (client) =>
        inFolder(client, params.folder, () =>
          deleteMessages(client, params.folder, body.uids, body.permanent),
        ),
      ),
    }),
  });

  defineRoute(router, app, {
    method: 'post',
    transaction: false,
    path: '/mail/:address/folders/:folder/empty',
    summary:
      'Webmail: empty the Trash or the Junk folder for good; `messages` is the count the owner confirmed (409 folder_changed when it differs)',
    tags: ['mail'],
    rateLimit: limit,
    params: folderParams,
    body: z.strictObject({ messages: z.number().int().min(0) }),
    status: 200,
    handler: async ({ ctx, params, body }) =>
      imap(ctx, params.address, (client) => emptyFolder(client, params.folder, body.messages)),
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mail/:address/events',
    summary:
      'Webmail: Server-Sent Events for a folder, fed by IMAP IDLE; the event id is the folder’s HIGHESTMODSEQ, so Last-Event-ID resumes',
    tags: ['mail'],
    params: mailboxParams,
    query: z.strictObject({ folder: FOLDER.default('INBOX') }),
    handler: async ({ ctx, params, query, req, res }) => {
      const { session } = await own(ctx, params.address);
      // This connection only waits: IDLE at once, so new mail is reported the moment it lands.
      const client = await openImap(app.config.webmail.imap, await webmail.master(), session.address, {
        autoIdleDelay: 100,
      });
      const send = (s: { folder: string; modseq: string; messages: number; unseen: number }) =>
        res.write(`id: ${s.modseq}\nevent: folder\ndata: ${JSON.stringify(s)}\n\n`);
      let watch: Awaited<ReturnType<typeof watchFolder>>;
      try {
        watch = await watchFolder(client, query.folder, send);
      } catch (e) {
        await logoutOrClose(client);
        throw mapImapError(e);
      }
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      // A reconnect names the last state it saw; anything newer is sent at once.
      const last = req.headers['last-event-id'];
      if (typeof last !== 'string' || last !== watch.state.modseq) send(watch.state);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        clearInterval(keepAlive);
        webmail.streams.delete(stop);
        await watch.stop();
        res.end();
      };
      webmail.streams.set(stop, session.address);
      client.on('close', () => void stop());
      req.on('close', () => void stop());
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'post',
    transaction: false,
    path: '/mail/:address/send',
    summary:
      'Webmail: send a message written in the browser (message/rfc822) through the platform’s submission: From must be an identity; To, Cc and Bcc are the recipients; Bcc is removed',
    tags: ['mail'],
    rateLimit: limit,
    params: mailboxParams,
    status: 200,
    handler: async ({ ctx, params, req }) => {
      const { mailbox } = await own(ctx, params.address);
      const raw = rawBody(req.body);
      const outgoing = prepareOutgoing(
        raw,
        await listIdentities(ctx, mailbox),
        ctx.config.relay.maxMessageBytes,
      );
      const result = await submit(
        ctx.config.webmail.submission,
        await webmail.master(),
        mailbox.address,
        outgoing,
      );
      return { ...result, recipients: outgoing.recipients.length };
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mail/:address/identities',
    summary: 'Webmail: the addresses this mailbox may send as (its own and its aliases), and the size limit',
    tags: ['mail'],
    params: mailboxParams,
    handler: async ({ ctx, params }) => {
      const { mailbox } = await own(ctx, params.address);
      return {
        identities: await listIdentities(ctx, mailbox),
        maxMessageBytes: ctx.config.relay.maxMessageBytes,
        encryptionMode: mailbox.encryption_mode,
        protectedSubject: mailbox.protected_subject,
      };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/mail/:address/recipient-keys',
    summary:
      'Webmail: the OpenPGP keys end-to-end encryption can use for these recipients: the platform’s own for its addresses, the recipient domain’s Web Key Directory (fetched by the server) for others; null where none',
    tags: ['mail'],
    transaction: false,
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({ addresses: z.array(emailAddressSchema).min(1).max(50) }),
    status: 200,
    handler: async ({ ctx, params, body }) => {
      await own(ctx, params.address);
      return { keys: await findRecipientKeys(ctx, body.addresses) };
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mail/:address/remote',
    summary:
      'Webmail: a remote image a message refers to, fetched by the server when the reader asked for it, so the reader’s browser never contacts the sender’s servers',
    tags: ['mail'],
    rateLimit: remoteLimit,
    params: mailboxParams,
    query: z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(4096) }),
    handler: async ({ ctx, params, query, res }) => {
      await own(ctx, params.address);
      const image = await fetchRemoteImage(ctx, new URL(query.url));
      res.status(200);
      res.setHeader('Content-Type', image.contentType);
      res.setHeader('Cache-Control', 'private, max-age=3600');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      // Opened on its own, it is still only an image: no script, no plugin, no same-origin access.
      res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; sandbox");
      res.end(image.body);
      return undefined;
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mail/:address/preferences',
    summary:
      'Webmail: the owner’s settings (signatures, senders whose images load), as the blob the browser stored (encrypted to the mailbox key)',
    tags: ['mail'],
    params: mailboxParams,
    handler: async ({ ctx, params, res }) => {
      const { mailbox } = await own(ctx, params.address);
      const row = await findPreferences(ctx, mailbox.id);
      res.setHeader('Cache-Control', 'no-store');
      return { blob: row?.blob ?? null, updatedAt: row?.updated_at ?? null };
    },
  });

  defineRoute(router, app, {
    method: 'put',
    path: '/mail/:address/preferences',
    summary: 'Webmail: store the owner’s settings blob (an OpenPGP message when the mailbox encrypts)',
    tags: ['mail'],
    rateLimit: limit,
    params: mailboxParams,
    body: z.strictObject({ blob: z.string().min(1).max(262_144) }),
    handler: async ({ ctx, params, body }) => {
      const { mailbox } = await own(ctx, params.address);
      return savePreferences(ctx, mailbox, body.blob);
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/mail/:address/session-key',
    summary:
      'Webmail: the key this browser session encrypts its unlocked mailbox key under in sessionStorage (dies with the session)',
    tags: ['mail'],
    params: mailboxParams,
    handler: async ({ ctx, params, res }) => {
      const { session } = await own(ctx, params.address);
      res.setHeader('Cache-Control', 'no-store');
      return { key: sessionBlobKey(app.keyring, session.sessionId).toString('base64') };
    },
  });
}
