import { openImap } from '../../src/mail/imap-pool';
import { logger } from '../../src/logger';
import { freePorts } from '../support/mailstack';

describe('openImap', () => {
  afterEach(() => jest.restoreAllMocks());

  it("logs a failed connection with its code, and without Dovecot's address", async () => {
    // A claimed port nobody listens on: the connection is refused.
    const [port] = await freePorts(1);
    const warn = jest.spyOn(logger, 'warn');
    await expect(
      openImap({ host: '127.0.0.1', port }, { user: 'webmail', password: 'x' }, 'ana@exemple.test'),
    ).rejects.toMatchObject({ status: 503 });
    const logged = warn.mock.calls.map(([object]) => object as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ code: 'ECONNREFUSED' }));
    const text = JSON.stringify(logged);
    expect(text).toContain('ECONNREFUSED');
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain(String(port));
  });
});
