import { AppError } from '../../src/errors';
import { mapImapError } from '../../src/mail/mail-store';

describe('IMAP errors as API errors', () => {
  it('answers 503 when a command was pending as the connection closed', () => {
    const e = Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
    const mapped = mapImapError(e) as AppError;
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped.status).toBe(503);
    expect(mapped.code).toBe('unavailable');
    expect(mapped.text.fr).toMatch(/réessayez/);
  });

  it('answers 404 for a folder Dovecot does not have', () => {
    const e = Object.assign(new Error('Mailbox does not exist'), { serverResponseCode: 'NONEXISTENT' });
    expect((mapImapError(e) as AppError).status).toBe(404);
  });

  it('passes on what it does not know', () => {
    const e = new Error('something else');
    expect(mapImapError(e)).toBe(e);
  });
});
