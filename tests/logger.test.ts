import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions, withoutAddresses } from '../src/logger';
import { freePorts } from './support/mailstack';

/** The lines the process's logger options write, at info level, for what `log` does with it. */
function written(log: (l: pino.Logger) => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  log(pino({ ...loggerOptions, level: 'info' }, stream));
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logger', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:1143', 'connect ECONNREFUSED [address]'],
    ['connect ECONNREFUSED ::1:1143', 'connect ECONNREFUSED [address]'],
    ['connect ECONNREFUSED [::1]:1143', 'connect ECONNREFUSED [address]'],
    ['from ::ffff:192.0.2.7.', 'from [address].'],
    [
      'at 2026-11-30 14:22:01, 3 of 10.5 MB, id cafe:babe',
      'at 2026-11-30 14:22:01, 3 of 10.5 MB, id cafe:babe',
    ],
  ])('replaces the address in %j', (text, expected) => {
    expect(withoutAddresses(text)).toBe(expected);
  });

  it('writes a socket error without the peer address, with its code', async () => {
    const [port] = await freePorts(1);
    const err = await new Promise<Error>((resolve) =>
      net.connect({ host: '127.0.0.1', port }).on('error', resolve),
    );
    expect(JSON.stringify({ ...err, message: err.message })).toContain('127.0.0.1');
    const [line] = written((l) => l.error({ err }, 'failed'));
    expect(line.err).toMatchObject({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED [address]' });
    expect(JSON.stringify(line)).not.toContain('127.0.0.1');
  });
});
