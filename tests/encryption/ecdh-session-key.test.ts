import crypto from 'node:crypto';
import * as openpgp from 'openpgp';
import { ecdhRecipient, encryptForEcdhRecipients } from '../../src/encryption/ecdh-session-key';
import { withGpg } from '../support/openpgp';

const generate = (type: 'ecc' | 'curve25519' | 'rsa') =>
  openpgp.generateKey({
    ...(type === 'ecc'
      ? { type, curve: 'curve25519Legacy' as const }
      : type === 'rsa'
        ? { type, rsaBits: 2048 }
        : { type }),
    userIDs: [{ email: 'bob@example.org' }],
    format: 'object',
  });

async function nativeMessage(data: Uint8Array, keys: openpgp.PublicKey[]): Promise<Uint8Array> {
  const recipients = await Promise.all(keys.map(async (k) => (await ecdhRecipient(k))!));
  return Buffer.concat([...encryptForEcdhRecipients([data.subarray(0, 7), data.subarray(7)], recipients)]);
}

describe('native encryption for classic v4 ECDH Curve25519 keys (RFC 6637, RFC 9580 §5.13.1)', () => {
  let alice: openpgp.PrivateKey;
  let bob: openpgp.PrivateKey;
  const data = Buffer.from('Content-Type: text/plain\r\n\r\nBonjour Bob.\r\n');

  beforeAll(async () => {
    [alice, bob] = (await Promise.all([generate('ecc'), generate('ecc')])).map((k) => k.privateKey);
  });

  it('writes what openpgp.js decrypts, for each of several keys', async () => {
    const binary = await nativeMessage(data, [alice.toPublic(), bob.toPublic()]);
    for (const key of [alice, bob]) {
      const { data: out } = await openpgp.decrypt({
        message: await openpgp.readMessage({ binaryMessage: binary }),
        decryptionKeys: key,
        format: 'binary',
      });
      expect(Buffer.from(out as Uint8Array).equals(data)).toBe(true);
    }
  });

  it('never exports a key it generated (Node 20 can hang for good in that export under garbage collection)', async () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('x25519');
    const exported = [publicKey, privateKey].map((k) => jest.spyOn(Object.getPrototypeOf(k), 'export'));
    try {
      await nativeMessage(data, [alice.toPublic(), bob.toPublic()]);
      for (const spy of exported) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of exported) spy.mockRestore();
    }
  });

  it('writes the packets openpgp.js writes: a v3 ECDH PKESK per encryption subkey, then SEIPD v1 under AES-256', async () => {
    const binary = await nativeMessage(data, [alice.toPublic()]);
    const message = await openpgp.readMessage({ binaryMessage: binary });
    const [pkesk, seipd] = message.packets;
    expect(message.packets).toHaveLength(2);
    expect(pkesk).toBeInstanceOf(openpgp.PublicKeyEncryptedSessionKeyPacket);
    expect(seipd).toBeInstanceOf(openpgp.SymEncryptedIntegrityProtectedDataPacket);
    const fields = pkesk as unknown as {
      version: number;
      publicKeyAlgorithm: number;
      publicKeyID: openpgp.KeyID;
    };
    expect(fields.version).toBe(3);
    expect(fields.publicKeyAlgorithm).toBe(openpgp.enums.publicKey.ecdh);
    expect(fields.publicKeyID.toHex()).toBe((await alice.toPublic().getEncryptionKey()).getKeyID().toHex());
    expect((seipd as unknown as { version: number }).version).toBe(1);
    const [sessionKey] = await openpgp.decryptSessionKeys({ message, decryptionKeys: alice });
    expect(sessionKey.algorithm).toBe('aes256');
    expect(sessionKey.data).toHaveLength(32);
  });

  it('uses a fresh session key and a fresh ephemeral key for every message', async () => {
    const [one, two] = await Promise.all([1, 2].map(() => nativeMessage(data, [alice.toPublic()])));
    const keyOf = async (b: Uint8Array) =>
      Buffer.from(
        (
          await openpgp.decryptSessionKeys({
            message: await openpgp.readMessage({ binaryMessage: b }),
            decryptionKeys: alice,
          })
        )[0].data,
      );
    expect((await keyOf(one)).equals(await keyOf(two))).toBe(false);
    expect(Buffer.from(one.subarray(0, 60)).equals(Buffer.from(two.subarray(0, 60)))).toBe(false);
  });

  it('is decrypted by GnuPG 2.2 with exit status 0', async () => {
    await withGpg(async (gpg) => {
      gpg(['--import'], alice.armor());
      const binary = await nativeMessage(data, [alice.toPublic()]);
      // Throws with GnuPG's messages unless it exits 0.
      expect(gpg(['--decrypt'], Buffer.from(binary)).equals(data)).toBe(true);
    });
  });

  it('writes every packet length form (one, two and five octets) that openpgp.js and GnuPG 2.2 read back', async () => {
    // Literal data of 6 + n octets, inside an SEIPD packet 63 octets longer; 300 KB spans two slices.
    const sizes = [0, 100, 150, 200, 8000, 8400, 300_000];
    await withGpg(async (gpg) => {
      gpg(['--import'], alice.armor());
      for (const n of sizes) {
        const plain = Buffer.alloc(n, n % 251);
        const binary = await nativeMessage(plain, [alice.toPublic()]);
        const { data: out } = await openpgp.decrypt({
          message: await openpgp.readMessage({ binaryMessage: binary }),
          decryptionKeys: alice,
          format: 'binary',
          expectSigned: false,
        });
        expect([n, Buffer.from(out as Uint8Array).equals(plain)]).toEqual([n, true]);
        expect([n, gpg(['--decrypt'], Buffer.from(binary)).equals(plain)]).toEqual([n, true]);
      }
    });
  });

  it('leaves RFC 9580 X25519 and RSA keys to openpgp.js', async () => {
    const [x25519, rsa] = await Promise.all([generate('curve25519'), generate('rsa')]);
    expect(await ecdhRecipient(x25519.publicKey)).toBeNull();
    expect(await ecdhRecipient(rsa.publicKey)).toBeNull();
    expect(await ecdhRecipient(alice.toPublic())).not.toBeNull();
  });
});
