import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  assertFetchable,
  isPublicAddress,
  publicLookup,
  publicRemoteHttp,
  RemoteHttpError,
} from '../../src/mail/remote-http';

/** The server's door to third-party web servers must never open onto its own network. */
describe('publicRemoteHttp', () => {
  it.each([
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['::ffff:127.0.0.1', false],
    ['93.184.215.14', true],
    ['2a01:4f8::1', true],
    ['not-an-ip', false],
  ])('treats %s as public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it.each([
    'file:///etc/passwd',
    'ftp://images.example/x.png',
    'http://127.0.0.1/x.png',
    'http://[::1]/x.png',
    'http://10.0.0.1/x.png',
    'http://localhost/x.png',
    'https://images.example:8443/x.png',
    'https://user:secret@images.example/x.png',
  ])('refuses %s before any connection', (url) => {
    expect(() => assertFetchable(new URL(url))).toThrow(RemoteHttpError);
  });

  it('accepts a public name on the default port', () => {
    expect(() => assertFetchable(new URL('https://images.example/x.png'))).not.toThrow();
    expect(() => assertFetchable(new URL('http://images.example:80/x.png'))).not.toThrow();
  });

  it('never connects to a loopback server, even one that listens', async () => {
    let connections = 0;
    const server = http.createServer((_req, res) => res.end('secret'));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await expect(
        publicRemoteHttp.get(new URL(`http://127.0.0.1:${port}/`), {
          maxBytes: 1000,
          timeoutMs: 1000,
          accept: '*/*',
        }),
      ).rejects.toMatchObject({ reason: 'refused' });
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('resolves a name to its public addresses only (localhost has none)', async () => {
    const result = await new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      publicLookup('localhost', {}, (err, address) => resolve({ err, address })),
    );
    expect(result.err?.code).toBe('EREFUSED');
  });
});
