import crypto from 'node:crypto';
import iconv from 'iconv-lite';

/**
 * Malformed and extreme mail, generated: what a hostile or broken sender may hand the MX. Each
 * entry is the raw DATA content (not dot-stuffed); line endings are as listed, bare CR and LF
 * included on purpose.
 */
const lines = (l: string[], eol = '\r\n') => Buffer.from(l.join(eol), 'latin1');
const head = (subject: string) => [
  'From: Alice <alice@remote.example>',
  'To: someone@hosted.example',
  `Subject: ${subject}`,
  'Date: Sat, 21 Nov 2026 10:00:00 +0000',
  `Message-ID: <${crypto.randomUUID()}@remote.example>`,
];

// Every charset label mailparser's decoder (iconv-lite) knows, one text part each.
function everyCharset(): Buffer {
  iconv.getCodec('utf8'); // loads the table of encodings
  const labels = Object.keys((iconv as unknown as { encodings: Record<string, unknown> }).encodings).filter(
    (k) => !k.startsWith('_'),
  );
  const parts = labels.flatMap((label) => [
    '--cs',
    `Content-Type: text/plain; charset="${label}"`,
    'Content-Transfer-Encoding: 8bit',
    '',
    `caf\xe9 \xe0 ${label} \x80\x9f\xff`,
  ]);
  return lines([
    ...head('=?ISO-8859-1?Q?caf=E9?= =?koi8-r?B?9MXT1A==?= =?x-unknown?Q?zz?='),
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="cs"',
    '',
    ...parts,
    '--cs--',
    '',
  ]);
}

function nested(depth: number): Buffer {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    open.push(`Content-Type: multipart/mixed; boundary="n${i}"`, '', `--n${i}`);
    close.unshift(`--n${i}--`);
  }
  return lines([
    ...head('deep'),
    'MIME-Version: 1.0',
    ...open,
    'Content-Type: text/plain',
    '',
    'bottom',
    ...close,
    '',
  ]);
}

function manyParts(n: number): Buffer {
  const parts = Array.from({ length: n }, (_, i) => [
    '--p',
    'Content-Type: text/plain',
    '',
    `part ${i}`,
  ]).flat();
  return lines([
    ...head('1000 parts'),
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="p"',
    '',
    ...parts,
    '--p--',
    '',
  ]);
}

export const malformedCorpus: Array<[string, Buffer]> = [
  [
    'multipart without a boundary parameter',
    lines([
      ...head('no boundary'),
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed',
      '',
      '--x',
      '',
      'text',
      '--x--',
      '',
    ]),
  ],
  [
    'multipart whose boundary never appears',
    lines([...head('lost boundary'), 'Content-Type: multipart/mixed; boundary="b"', '', 'just text', '']),
  ],
  [
    'multipart without its closing boundary',
    lines([
      ...head('unclosed'),
      'Content-Type: multipart/alternative; boundary="b"',
      '',
      '--b',
      '',
      'one',
      '--b',
      '',
      'two',
    ]),
  ],
  ['multiparts nested 100 deep', nested(100)],
  ['1 000 parts', manyParts(1000)],
  [
    '8-bit bytes in headers',
    lines([...head('caf\xe9 \xff\xfe'), 'X-Latin: \xe9\xe8\xe0', 'Content-Type: text/plain', '', 'ok', '']),
  ],
  [
    'NUL in a header and in the body',
    lines([...head('nul\x00here'), 'X-Nul: a\x00b', 'Content-Type: text/plain', '', 'body\x00with nul', '']),
  ],
  ['a 20 000-character header line', lines([...head('x'.repeat(20_000)), '', 'body', ''])],
  [
    'a 1 MB body line, streamed',
    Buffer.concat([
      lines([...head('long line'), '', '']),
      Buffer.alloc(1100 * 1024, 'L'),
      Buffer.from('\r\n'),
    ]),
  ],
  ['every charset label mailparser knows', everyCharset()],
  ['bare LF line endings', lines([...head('lf'), 'Content-Type: text/plain', '', 'one', 'two', ''], '\n')],
  [
    'bare CR and mixed line endings',
    Buffer.concat([lines([...head('cr'), '', '']), Buffer.from('one\rtwo\nthree\r\nfour\r\r\n')]),
  ],
  ['no empty line: only a header', lines([...head('header only'), 'X-Last: field'])],
  ['lines starting with dots', lines([...head('dots'), '', '.', '..', '.hidden', '. ', 'end', ''])],
  [
    'header lines without a colon, and a continuation first',
    lines([
      ' leading continuation',
      ...head('colonless'),
      'NoColonHere',
      'Content-Type: text/plain',
      '',
      'body',
      '',
    ]),
  ],
  [
    'invalid base64 and quoted-printable',
    lines([
      ...head('bad encodings'),
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="e"',
      '',
      '--e',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      '!!!not*base64***',
      '--e',
      'Content-Type: text/plain',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '=ZZ=4=',
      '--e--',
      '',
    ]),
  ],
  [
    'a broken message/rfc822 inside',
    lines([
      ...head('embedded'),
      'MIME-Version: 1.0',
      'Content-Type: message/rfc822',
      '',
      'Content-Type: multipart/mixed; boundary="inner"',
      '',
      '--inner',
      'garbage',
    ]),
  ],
  [
    'random bytes as body',
    Buffer.concat([lines([...head('random'), '', '']), crypto.randomBytes(64 * 1024)]),
  ],
  [
    'two Content-Type fields, encrypted then plain',
    lines([
      ...head('two types'),
      'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="z"',
      'Content-Type: text/plain',
      '',
      'Le code est 4242.',
      '',
    ]),
  ],
];
