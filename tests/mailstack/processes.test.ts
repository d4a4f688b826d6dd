import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DATAGRAM_QUEUE_LENGTH,
  datagramQueueWarning,
  ensureDatagramQueue,
} from '../../src/mailstack/processes';

describe('ensureDatagramQueue', () => {
  let dir: string;
  const setting = (value?: string) => {
    const file = path.join(dir, 'max_dgram_qlen');
    if (value !== undefined) fs.writeFileSync(file, value);
    return file;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-dgram-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('raises a short queue to the length a Debian host boots with', async () => {
    const file = setting('10\n');
    expect(await ensureDatagramQueue(file)).toBe(DATAGRAM_QUEUE_LENGTH);
    expect(fs.readFileSync(file, 'utf8')).toBe(String(DATAGRAM_QUEUE_LENGTH));
  });

  it('leaves a longer queue as it is', async () => {
    const file = setting('2048\n');
    expect(await ensureDatagramQueue(file)).toBe(2048);
    expect(fs.readFileSync(file, 'utf8')).toBe('2048\n');
  });

  it('says nothing where the setting does not exist', async () => {
    expect(await ensureDatagramQueue(setting())).toBeUndefined();
  });
});

describe('datagramQueueWarning', () => {
  it('tells a racine, in English and French, the command that lengthens a short queue', () => {
    const warning = datagramQueueWarning(10);
    expect(warning).toContain('net.unix.max_dgram_qlen is 10');
    expect(warning).toContain('net.unix.max_dgram_qlen vaut 10');
    expect(warning).toContain(`sysctl -w net.unix.max_dgram_qlen=${DATAGRAM_QUEUE_LENGTH}`);
  });

  it('is silent for a long enough queue, and off Linux', () => {
    expect(datagramQueueWarning(DATAGRAM_QUEUE_LENGTH)).toBeUndefined();
    expect(datagramQueueWarning(undefined)).toBeUndefined();
  });
});
