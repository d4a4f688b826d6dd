import type { Summary } from '../../webmail/src/mail/mail-api';
import { groupThreads } from '../../webmail/src/mail/threads';

let uid = 0;
const message = (messageId: string, minute: number, refs: string[] = []): Summary => ({
  uid: ++uid,
  flags: [],
  size: 100,
  date: new Date(Date.UTC(2026, 10, 20, 10, minute)).toISOString(),
  subject: messageId,
  from: [],
  to: [],
  cc: [],
  messageId: `<${messageId}>`,
  inReplyTo: refs.length ? `<${refs[refs.length - 1]}>` : null,
  references: refs.map((r) => `<${r}>`),
  encrypted: false,
});

/** The webmail's conversation view groups by References and In-Reply-To (RFC 5322 §3.6.4). */
describe('groupThreads', () => {
  it('puts a reply, and a reply to the reply, with the message they answer, newest conversation first', () => {
    const root = message('root', 0);
    const other = message('other', 1);
    const reply = message('reply', 2, ['root']);
    const deeper = message('deeper', 5, ['root', 'reply']);
    const threads = groupThreads([other, deeper, root, reply]);
    expect(threads.map((t) => t.messages.map((m) => m.subject))).toEqual([
      ['deeper', 'reply', 'root'],
      ['other'],
    ]);
  });

  it('joins a reply that names only its parent (In-Reply-To, no References)', () => {
    const root = message('a', 0);
    const reply = { ...message('b', 1), inReplyTo: '<a>' };
    expect(groupThreads([reply, root])).toHaveLength(1);
  });
});
