import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How full the file system holding `path` is, as `df` counts it (blocks for root included as used). */
export async function diskUsage(path: string): Promise<{ usedPercent: number; freeBytes: number }> {
  const s = await fs.statfs(path);
  const total = s.blocks * s.bsize;
  const free = s.bavail * s.bsize;
  return { usedPercent: total > 0 ? Math.round(((total - free) / total) * 1000) / 10 : 0, freeBytes: free };
}

/** When the first certificate of a PEM file stops being valid. */
export async function certificateExpiry(file: string): Promise<Date> {
  const cert = new crypto.X509Certificate(await fs.readFile(file));
  return new Date(cert.validTo);
}

/**
 * The certificate production Postfix serves (`smtpd_tls_cert_file`; Dovecot is rendered with the
 * same one). None when Postfix is not installed there or serves no certificate.
 */
export async function postfixCertificateFiles(configDir: string): Promise<string[]> {
  try {
    await fs.access(`${configDir}/main.cf`);
    const { stdout } = await run('postconf', ['-c', configDir, '-h', 'smtpd_tls_cert_file']);
    const file = stdout.trim();
    return file ? [file] : [];
  } catch {
    return [];
  }
}
