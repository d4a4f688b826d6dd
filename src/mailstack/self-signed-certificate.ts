import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { MailstackError } from './processes';

const run = promisify(execFile);

/**
 * A fresh self-signed certificate for the private stack's submission over implicit TLS, made at
 * each start with Debian's openssl (a dependency of dovecot-core) and never kept elsewhere. Its
 * dates are the real clock's: TLS clients check them against real time.
 */
export async function makeSelfSignedCertificate(
  dir: string,
  hostname: string,
): Promise<{ certFile: string; keyFile: string }> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      `/CN=${hostname}`,
      '-addext',
      `subjectAltName=DNS:${hostname},IP:127.0.0.1`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]);
  } catch (e) {
    throw new MailstackError(
      `openssl could not make the private stack's certificate: ${(e as Error).message}`,
    );
  }
  await fs.chmod(keyFile, 0o600);
  return { certFile, keyFile };
}
