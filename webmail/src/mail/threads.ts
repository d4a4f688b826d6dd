import type { Summary } from './mail-api';

/** A conversation: its messages newest first. */
export interface Thread {
  key: string;
  messages: Summary[];
}

/**
 * Groups messages into conversations by their References and In-Reply-To (RFC 5322 §3.6.4),
 * the way JWZ's threading starts: oldest first, each message joins the conversation of the
 * first message it names that is already known, else starts its own. Threads come out in the
 * order of their newest message, as the list was.
 */
export function groupThreads(messages: Summary[]): Thread[] {
  const byId = new Map<string, Thread>();
  const threads: Thread[] = [];
  const oldestFirst = [...messages].sort((a, b) => Date.parse(a.date) - Date.parse(b.date) || a.uid - b.uid);
  for (const m of oldestFirst) {
    const named = [...m.references, ...(m.inReplyTo ? [m.inReplyTo] : [])];
    let thread = named.map((id) => byId.get(id)).find(Boolean);
    if (!thread) {
      thread = { key: m.messageId ?? named[0] ?? `uid:${m.uid}`, messages: [] };
      threads.push(thread);
    }
    thread.messages.unshift(m);
    for (const id of [...named, ...(m.messageId ? [m.messageId] : [])])
      if (!byId.has(id)) byId.set(id, thread);
  }
  const newest = (t: Thread) => Date.parse(t.messages[0].date);
  return threads.sort((a, b) => newest(b) - newest(a) || b.messages[0].uid - a.messages[0].uid);
}
