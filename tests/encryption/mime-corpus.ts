/**
 * A small corpus of received messages (CRLF, as they arrive over LMTP), built by hand to cover
 * what the PGP/MIME transformation must keep byte for byte.
 */
const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');
const base = [
  'Return-Path: <alice@example.net>',
  'Received: from mx.example.net by mx.giroflee.test with ESMTPS id 4Xyz',
  '\tfor <bob@example.org>; Sat, 21 Nov 2026 10:00:00 +0000',
  'DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=s1; h=from:to:subject;',
  ' bh=abc=; b=def=',
  'Authentication-Results: mx.giroflee.test; dkim=pass header.d=example.net',
  'From: Alice <alice@example.net>',
  'To: Bob <bob@example.org>',
  'Date: Sat, 21 Nov 2026 10:00:00 +0000',
  'Message-ID: <m1@example.net>',
];

const longSubject =
  'Subject: =?UTF-8?Q?Un_sujet_tr=C3=A8s_long_qui_d=C3=A9passe_largement_soixante-dix?=\r\n' +
  ' =?UTF-8?Q?_caract=C3=A8res_et_doit_=C3=AAtre_pli=C3=A9_sur_plusieurs_lignes?=\r\n' +
  '\t=?UTF-8?Q?_selon_la_RFC_5322?=';

export const corpus: Array<[string, Buffer]> = [
  [
    'plain text',
    crlf([
      ...base,
      'Subject: Hello',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Hi Bob.',
      '',
    ]),
  ],
  ['no Content-Type and no trailing newline', crlf([...base, 'Subject: bare', '', 'just text'])],
  [
    'multipart/alternative',
    crlf([
      ...base,
      'Subject: alt',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Bonjour',
      '--b1',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Bonjour</p>',
      '--b1--',
      '',
    ]),
  ],
  [
    'attachment in base64',
    crlf([
      ...base,
      'Subject: file',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed;',
      '\tboundary="mixed-1"',
      '',
      '--mixed-1',
      'Content-Type: text/plain',
      '',
      'see attached',
      '--mixed-1',
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="data.bin"',
      '',
      Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256))
        .toString('base64')
        .replace(/(.{76})/g, '$1\r\n'),
      '--mixed-1--',
      '',
    ]),
  ],
  [
    '8bit body',
    Buffer.concat([
      crlf([
        ...base,
        'Subject: 8bit',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        '',
      ]),
      Buffer.from('Voilà, ça marche : été, œuvre, 日本語.\r\n', 'utf8'),
    ]),
  ],
  [
    'quoted-printable',
    crlf([
      ...base,
      'Subject: qp',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Une ligne tr=C3=A8s longue coup=C3=A9e par un saut de ligne doux qui continue =',
      'ici. Trailing space=20',
      '',
    ]),
  ],
  [
    'long folded headers',
    crlf([
      ...base,
      longSubject,
      'References: <a@x> <b@x>',
      ' <c@x> <d@x>',
      'X-Custom: value',
      '',
      'body',
      '',
    ]),
  ],
  [
    'ISO-8859-1 charset',
    Buffer.concat([
      crlf([
        ...base,
        'Subject: =?ISO-8859-1?Q?caf=E9?=',
        'Content-Type: text/plain; charset=ISO-8859-1',
        '',
        '',
      ]),
      Buffer.from('Un café, s’il vous plaît.\r\n'.replace('’', "'"), 'latin1'),
    ]),
  ],
  [
    'LF line endings',
    Buffer.from(
      ['From: a@example.net', 'Subject: lf', 'Content-Type: text/plain', '', 'unix', ''].join('\n'),
    ),
  ],
];

export const alreadyEncrypted: Array<[string, Buffer]> = [
  [
    'PGP/MIME',
    crlf([
      ...base,
      'Subject: secret',
      'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="x"',
      '',
      '--x',
      'Content-Type: application/pgp-encrypted',
      '',
      'Version: 1',
      '--x--',
      '',
    ]),
  ],
  [
    'inline PGP',
    crlf([
      ...base,
      'Subject: inline',
      '',
      '',
      '-----BEGIN PGP MESSAGE-----',
      '',
      'hQEMA...',
      '-----END PGP MESSAGE-----',
      '',
    ]),
  ],
  [
    'S/MIME enveloped',
    crlf([
      ...base,
      'Subject: smime',
      'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m',
      'Content-Transfer-Encoding: base64',
      '',
      'MIAGCSqGSIb3DQEHA6CAMIACAQAxggHXMIIB0wIBADCBujCBrDELMAkGA1UEBhMCVVMx',
      '',
    ]),
  ],
];
