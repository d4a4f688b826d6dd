import http from 'node:http';
import type { Endpoint } from '../config';

/**
 * Asks rspamd's normal worker to score a submitted message (rspamd's HTTP protocol, POST
 * /checkv2). `User` tells rspamd the sender logged in, so it skips what only makes sense for mail
 * from outside (SPF, DMARC, the sender's IP); no `IP` is sent, none is needed.
 */

export interface RspamdResult {
  score: number;
  /** rspamd's own action: `reject` for GTUBE and forced rules, whatever the score. */
  action: string;
  /** Symbol names, highest score first. */
  symbols: string[];
}

export interface ScanRequest {
  login: string;
  envelopeFrom: string;
  recipients: string[];
  message: Buffer[];
}

/** Symbols worth naming to the member: those that added to the score (or forced the action). */
function namedSymbols(symbols: Record<string, { name: string; score: number }> | undefined): string[] {
  return Object.values(symbols ?? {})
    .sort((a, b) => b.score - a.score)
    .filter((s) => s.score > 0 || s.name === 'GTUBE')
    .map((s) => s.name);
}

/** Rejects on any failure (unreachable, timeout, a reply that is not rspamd's): callers defer. */
export function scanWithRspamd(rspamd: Endpoint, timeoutMs: number, r: ScanRequest): Promise<RspamdResult> {
  return new Promise((resolve, reject) => {
    const length = r.message.reduce((n, c) => n + c.length, 0);
    const req = http.request(
      {
        host: rspamd.host,
        port: rspamd.port,
        path: '/checkv2',
        method: 'POST',
        timeout: timeoutMs,
        // One `Rcpt` line per recipient (Node writes an array as repeated lines).
        headers: { 'Content-Length': length, User: r.login, From: r.envelopeFrom, Rcpt: r.recipients },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          try {
            if (res.statusCode !== 200) throw new Error(`rspamd answered HTTP ${res.statusCode}`);
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (typeof body.score !== 'number' || typeof body.action !== 'string') {
              throw new Error('rspamd answered without a score');
            }
            resolve({ score: body.score, action: body.action, symbols: namedSymbols(body.symbols) });
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('rspamd did not answer in time')));
    req.on('error', reject);
    for (const c of r.message) req.write(c);
    req.end();
  });
}

/** Whether a scanned message is refused at submission. */
export const isRefused = (result: RspamdResult, rejectScore: number): boolean =>
  result.action === 'reject' || result.score >= rejectScore;

/**
 * The reply a refused member's mail program shows. SMTP replies are ASCII (RFC 5321 §4.2), so
 * French without accents, then English, as every reply of the submission service; the score,
 * the threshold and the rules that weighed most say why.
 */
export function refusalText(result: RspamdResult, rejectScore: number): string {
  const why = result.symbols
    .slice(0, 3)
    .map((s) => s.replace(/[^A-Z0-9_]/gi, ''))
    .join(' ');
  const score = `score ${result.score.toFixed(1)}/${rejectScore}${why ? `: ${why}` : ''}`;
  return (
    `550 5.7.1 Message refuse, il ressemble a du spam (${score}) / ` +
    `Message refused, it looks like spam (${score})`
  );
}
