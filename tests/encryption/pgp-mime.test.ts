import * as openpgp from 'openpgp';
import { text } from 'node:stream/consumers';
import { encryptLargeMessage, encryptMessage, fieldValue, splitMessage } from '../../src/encryption/pgp-mime';
import { armoredDataLength, armoredPart, decryptStored, withGpg } from '../support/openpgp';
import { alreadyEncrypted, corpus, lookAlikes } from './mime-corpus';

const names = (raw: Buffer) => splitMessage(raw).fields.map((f) => f.name);

describe('PGP/MIME transformation (RFC 3156)', () => {
  let privateKey: openpgp.PrivateKey;
  let second: openpgp.PrivateKey;
  beforeAll(async () => {
    const make = async (email: string) =>
      (
        await openpgp.generateKey({
          type: 'ecc',
          curve: 'curve25519Legacy',
          userIDs: [{ email }],
          format: 'object',
        })
      ).privateKey;
    [privateKey, second] = await Promise.all([make('bob@example.org'), make('bob@example.org')]);
  });

  it.each(corpus)(
    '%s: the decrypted entity is the original body and Content-* fields, byte for byte',
    async (_n, raw) => {
      const stored = (await encryptMessage(raw, [privateKey.toPublic()]))!;
      const original = splitMessage(raw);
      const outer = splitMessage(stored);
      // Clear fields stay outside exactly as received; no Content-* of the original remains there.
      for (const f of original.fields.filter(
        (f) => !f.name.startsWith('content-') && f.name !== 'x-custom',
      )) {
        if (f.name === 'mime-version') continue;
        expect(stored.includes(f.raw)).toBe(true);
      }
      expect(fieldValue(outer.fields.find((f) => f.name === 'content-type')!)).toMatch(
        /^multipart\/encrypted; protocol="application\/pgp-encrypted";\s+boundary="giroflee-[0-9a-f]{24}"$/,
      );
      expect(outer.fields.filter((f) => f.name === 'content-type')).toHaveLength(1);
      const inner = splitMessage(await decryptStored(stored, privateKey));
      expect(inner.body.equals(original.body)).toBe(true);
      const moved = original.fields.filter((f) => f.name.startsWith('content-') || f.name.startsWith('x-'));
      expect(inner.fields.map((f) => f.raw.toString('latin1'))).toEqual(
        [...moved, ...original.fields.filter((f) => f.name === 'mime-version')]
          .sort((a, b) => original.fields.indexOf(a) - original.fields.indexOf(b))
          .map((f) => f.raw.toString('latin1')),
      );
    },
  );

  it('encrypts to every active key of the recipient', async () => {
    const stored = (await encryptMessage(corpus[0][1], [privateKey.toPublic(), second.toPublic()]))!;
    const expected = splitMessage(corpus[0][1]).body;
    expect(splitMessage(await decryptStored(stored, privateKey)).body.equals(expected)).toBe(true);
    expect(splitMessage(await decryptStored(stored, second)).body.equals(expected)).toBe(true);
  });

  it('protects the subject: "..." outside, the real one inside with protected-headers="v1"', async () => {
    const raw = corpus[0][1];
    const stored = (await encryptMessage(raw, [privateKey.toPublic()], { protectedSubject: true }))!;
    const outerSubject = splitMessage(stored).fields.filter((f) => f.name === 'subject');
    expect(outerSubject.map(fieldValue)).toEqual(['...']);
    const inner = splitMessage(await decryptStored(stored, privateKey));
    expect(fieldValue(inner.fields.find((f) => f.name === 'subject')!)).toBe('Hello');
    expect(fieldValue(inner.fields.find((f) => f.name === 'content-type')!)).toBe(
      'text/plain; charset=us-ascii; protected-headers="v1"',
    );
    expect(inner.body.equals(splitMessage(raw).body)).toBe(true);
  });

  it.each(alreadyEncrypted)('%s passes unchanged', async (_n, raw) => {
    expect(await encryptMessage(raw, [privateKey.toPublic()])).toBeUndefined();
  });

  it.each(lookAlikes)('encrypts a look-alike: %s', async (_n, raw) => {
    const stored = await encryptMessage(raw, [privateKey.toPublic()]);
    expect(stored).toBeInstanceOf(Buffer);
    const { body } = splitMessage(raw);
    expect(stored!.includes(body)).toBe(false);
    expect(stored!.toString('latin1')).not.toContain('Le code est 4242');
    expect(splitMessage(await decryptStored(stored!, privateKey)).body.equals(body)).toBe(true);
  });

  it("keeps the MX's spam verdict and fuzzy digests outside, buffered and streamed: Sieve and junk reports read them", async () => {
    const raw = Buffer.from(
      [
        'From: alice@example.org',
        'To: bob@example.org',
        'Subject: offre',
        'X-Spam: Yes',
        'X-Spam-Status: Yes, score=16.10',
        'X-Giroflee-Digest: 0a1b2c',
        'X-Giroflee-Digest: 3d4e5f',
        'X-Mailer: other',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'Achetez maintenant.',
        '',
      ].join('\r\n'),
    );
    const buffered = (await encryptMessage(raw, [privateKey.toPublic()]))!;
    const streamed = Buffer.from(
      await text((await encryptLargeMessage(raw, [privateKey.toPublic()]))!()),
      'latin1',
    );
    for (const stored of [buffered, streamed]) {
      const outside = splitMessage(stored).fields.map((f) => f.raw.toString('latin1').trimEnd());
      expect(outside).toEqual(
        expect.arrayContaining([
          'X-Spam: Yes',
          'X-Spam-Status: Yes, score=16.10',
          'X-Giroflee-Digest: 0a1b2c',
          'X-Giroflee-Digest: 3d4e5f',
        ]),
      );
      expect(outside.some((f) => f.startsWith('X-Mailer'))).toBe(false);
      const inside = names(await decryptStored(stored, privateKey));
      expect(inside.filter((n) => ['x-spam', 'x-spam-status', 'x-giroflee-digest'].includes(n))).toEqual([]);
      expect(inside).toContain('x-mailer');
    }
  });

  it('streams a large message to the same stored form, decrypting to the original body', async () => {
    // Past 4 MB: the stream runs a young-generation collection midway (young-garbage.ts).
    const raw = Buffer.concat([corpus[3][1], Buffer.alloc(5 * 1024 * 1024 + 17, 'x'), Buffer.from('\r\n')]);
    const open = (await encryptLargeMessage(raw, [privateKey.toPublic()]))!;
    const stored = Buffer.from(await text(open()), 'latin1');
    expect(
      splitMessage(stored)
        .fields.find((f) => f.name === 'content-type')!
        .raw.toString(),
    ).toContain('multipart/encrypted');
    const armor = stored.toString('latin1').split('-----BEGIN PGP MESSAGE-----')[1].split('-----END')[0];
    const lines = armor.split('\r\n').filter((l) => l.length > 0);
    // 64-character base64 lines but the last, then the CRC-24 line (RFC 4880 §6.1).
    expect(lines.at(-1)).toMatch(/^=[A-Za-z0-9+/]{4}$/);
    expect(lines.slice(0, -1).filter((l) => l.length !== 64)).toHaveLength(1);
    expect(splitMessage(await decryptStored(stored, privateKey)).body.equals(splitMessage(raw).body)).toBe(
      true,
    );
    expect(await encryptLargeMessage(alreadyEncrypted[0][1], [privateKey.toPublic()])).toBeUndefined();
  });

  it('writes armor GnuPG 2.2 reads to the end (exit 0) for every length modulo 3, buffered and streamed, 0 B to 1 MB', async () => {
    await withGpg(async (gpg) => {
      gpg(['--import'], privateKey.armor());
      const head = corpus[0][1].subarray(0, corpus[0][1].indexOf('\r\n\r\n') + 4);
      const withBody = (n: number) => Buffer.concat([head, Buffer.alloc(n, 'b')]);
      const cases: Array<[string, number[], (raw: Buffer) => Promise<Buffer>]> = [
        [
          'buffered',
          [0, 1, 2, 3, 4, 5, 1000, 100 * 1024],
          async (raw) => (await encryptMessage(raw, [privateKey.toPublic()]))!,
        ],
        [
          'streamed',
          [1024 * 1024, 1024 * 1024 + 1, 1024 * 1024 + 2],
          async (raw) =>
            Buffer.from(await text((await encryptLargeMessage(raw, [privateKey.toPublic()]))!()), 'latin1'),
        ],
      ];
      for (const [how, sizes, encrypt] of cases) {
        const remainders = new Set<number>();
        for (const n of sizes) {
          const raw = withBody(n);
          const armored = armoredPart(await encrypt(raw));
          remainders.add(armoredDataLength(armored) % 3);
          let plaintext: Buffer;
          try {
            plaintext = gpg(['--decrypt'], armored);
          } catch (e) {
            throw new Error(`${how}, ${n} B: ${(e as Error).message}`, { cause: e });
          }
          expect(splitMessage(plaintext).body.equals(splitMessage(raw).body)).toBe(true);
        }
        expect([how, [...remainders].sort()]).toEqual([how, [0, 1, 2]]);
      }
    });
  });

  it('unfolds a folded header when splitting (RFC 5322 §2.2.3)', () => {
    const raw = corpus.find(([n]) => n === 'long folded headers')![1];
    expect(names(raw)).toContain('references');
    const refs = splitMessage(raw).fields.find((f) => f.name === 'references')!;
    expect(fieldValue(refs)).toBe('<a@x> <b@x> <c@x> <d@x>');
  });
});
