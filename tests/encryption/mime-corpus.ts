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

/*
 * Ciphertext made once for these fixtures (the keys were thrown away: nothing here needs
 * decrypting): OpenPGP by openpgp.js (an X25519 key; a password), S/MIME by OpenSSL 3
 * (`openssl smime -encrypt -aes256`, `openssl cms -encrypt -stream` with BER indefinite lengths,
 * `openssl cms -encrypt -aes-256-gcm` for authEnveloped-data, `openssl smime -sign -nodetach`).
 * The plaintext inside the signed and literal ones is "Le code est 4242".
 */
const PGP_ENCRYPTED = [
  '-----BEGIN PGP MESSAGE-----',
  '',
  'wV4DVQTT4Uns50ESAQdAd/BnkEHcP2rOLNb68mOzH+ctp6igZVoGpYxBIsv7',
  'x3YwBSRC/5HmJ0KOQeNjF5DukXrMDhZ/nPR51o+JFK0XpD4x6exiNQZgp4Sp',
  'TmVWBmpB0mAB0bL+0GHYBB7Mn4qIxta5ktVP94exznX4PD74UBI6XH6B44Xq',
  'sJ98xTtQPhjGgF5HWZmZokwJHOnDunK3g8J9hPeo008Tfxp1MjDV0fwcGjvk',
  '9nFA04VNUZcJwVVYKV0=',
  '=Vt57',
  '-----END PGP MESSAGE-----',
];

const PGP_PASSWORD_ENCRYPTED = [
  '-----BEGIN PGP MESSAGE-----',
  '',
  'wy4ECQMINnYXcW9oyPvg2bst4IjO7SN/AkjoTgTqc7Tz319N9vW6iPJbR2so',
  'I/XU0kIBxQQ58GHxe4nB4q+gvopCjOmarG6gGPWCv+7TUcfNYS76C5f8eeJl',
  'jejY5qFQyxbqv7j6lRn3EpWx/Scf4LK/5z4=',
  '=crj5',
  '-----END PGP MESSAGE-----',
];

const PGP_LITERAL = [
  '-----BEGIN PGP MESSAGE-----',
  '',
  'yyV1AGsMtK9MZSBjb2RlIGVzdCA0MjQyIChTRUNSRVQtNDI0Miku',
  '-----END PGP MESSAGE-----',
];

const PGP_SIGNED = [
  '-----BEGIN PGP MESSAGE-----',
  '',
  'xA0DAQoWtahg7B+9sW8ByyV1AGsMtK9MZSBjb2RlIGVzdCA0MjQyIChTRUNS',
  'RVQtNDI0MikuwrsEARYKAG0FgmsMtK8JELWoYOwfvbFvRRQAAAAAABwAIHNh',
  'bHRAbm90YXRpb25zLm9wZW5wZ3Bqcy5vcmcHAnyLS1Bu6NwwGmRnCM1CXnmz',
  '70rLMwrff1gvlENFgRYhBGvgoDZysw7eQrdZJrWoYOwfvbFvAABB/wEAx/U+',
  'tJekKlQeioAC8sug/1We5ucNP0JacbSGXvpZj3AA/R8jybPV5ZgT2sfssIHr',
  'erTydPMafE8uXzmnUzPcQ2UP',
  '=4h8M',
  '-----END PGP MESSAGE-----',
];

const SMIME_ENVELOPED = [
  'MIIB1gYJKoZIhvcNAQcDoIIBxzCCAcMCAQAxggFOMIIBSgIBADAyMBoxGDAWBgNV',
  'BAMMD2JvYkBleGFtcGxlLm9yZwIUJTMV/l1760aplJvGDBkHaR9gJc8wDQYJKoZI',
  'hvcNAQEBBQAEggEAWlHpyd5ig14nTqMDhkiAxkMY+V5ja/aVb5H2+PRRVGE1iKSJ',
  'PG8Boj/APGM+t3Rkq8URwPYCGJpM3jcg+47zKIlgr4cSNCSIgyiD3SdJaff0zJix',
  'LrN2UI9W+sq1Wbr3uK+jLXmr9qUoEgCUZcaQ5/B2E9jD56rV4tLiXw7vtWJ+KWke',
  'QZ2WmHPa43cwNo8jrQEuygiTvDOgXNKxXVDTLQgWpyb4OixgKONEZYvQX/ajb/Lt',
  '+0gcyeuKBCY9lavE+wC8HkFgHf30qm/ukop6PJbxusa4qUpaKCCZ90XOvCeeCV29',
  'OY9QID2o4t0K9XEcmRpQDDZxTxIp8nlFC3PrIDBsBgkqhkiG9w0BBwEwHQYJYIZI',
  'AWUDBAEqBBBmapaRKckhEhU2eXfSYfX7gEAK/vtv6Vn2Io6ctCU35nc1HaXrfPz5',
  'S5F2jw9QbuPNZn1S2X1oDGYJ6Wmt3A0bIYruS7jKLqctNO6e2LCkG3LF',
];

const SMIME_ENVELOPED_STREAMED = [
  'MIAGCSqGSIb3DQEHA6CAMIACAQAxggFOMIIBSgIBADAyMBoxGDAWBgNVBAMMD2Jv',
  'YkBleGFtcGxlLm9yZwIUJTMV/l1760aplJvGDBkHaR9gJc8wDQYJKoZIhvcNAQEB',
  'BQAEggEARoogz7aXsA7iu81smmT9KKdcYvOAJh35lmpkHaq4pw+Iugr2M5itRN1a',
  '49k2K7oGTeZGpHXTNRSp0j5ay4QeRTmaS7IOOi4ABaEQZiCV5UR5tbseN8GDQ6cU',
  '4gd2QvMfGUbmlc6yqeoERAqLg/MNC0sdM1Kxx/GA2T7OhlwYRJ+fOs18TqW59GLk',
  'gu6aR6YOmtgYqb6gFFqhEma+/n6vremZt8c8cqaCPYwKHAVr4AxvkYX7Hm01P9GH',
  'ZenRhYeFQcnZ1iTHVwZXLTG5Olt2HLOF7HhJF2QG+V7Vi4kfm6k9V6f/dQPlqt4K',
  'N8GJOslQTe898QmcxNGRgfGJmXudFTCABgkqhkiG9w0BBwEwHQYJYIZIAWUDBAEq',
  'BBB0COtda4ZgKqyDOx4evuS0oIAEMO9xDBJC5of3cE7W8mwkRsyoegDxCzuf8v1Y',
  'EWNIKHI+EEM58kVRWWg8CjtSExgNkgQQNzETUUDFS7xgXlyJ9owq5QAAAAAAAAAA',
  'AAA=',
];

const SMIME_AUTH_ENVELOPED = [
  'MIIB4AYLKoZIhvcNAQkQARegggHPMIIBywIBADGCAU4wggFKAgEAMDIwGjEYMBYG',
  'A1UEAwwPYm9iQGV4YW1wbGUub3JnAhQlMxX+XXvrRqmUm8YMGQdpH2AlzzANBgkq',
  'hkiG9w0BAQEFAASCAQBPLSL+eRe5qEdSuaNTT4P0EZ7M8iHAO/sudvJ+wItIPMNz',
  'WConDabAYJjNa860dI0/uYgy1PvYY9yCpsTtV1Sp4jDops/fYx+jA/EPN+xJUekS',
  'ngJBQTNYFBocN7vaKkd3tT2xIY+KhUmOVy7HZlHSHFRmqSysSe830dEqLUrbmV4Q',
  '1W4lirbv8oAFcMJ/FpJ1IxJpEZtN91B0Q56KAlhRmU5EaHNGOPnzjaTb8QxDWVGi',
  'ei7wLsLfbTGTTsDf5BvdWReSsZdJgaI7T3FxPrjI8pJLyICf+KidHYEjfab7jUMo',
  'UicUIpjuNmpiQKKd71MCc3K4F1JaYGMA6CvPTmX7MGIGCSqGSIb3DQEHATAeBglg',
  'hkgBZQMEAS4wEQQM2gEisv1PgDOyD86QAgEQgDXztGy5WEGFMwC+vP4fepKJWGJU',
  '8sAjncsm6rkm/9F4DL515GfXuZB+s5wM+++7hq5TsvVKFAQQZ/SLZTRFajpUfYwn',
  'OCfinQ==',
];

const SMIME_SIGNED = [
  'MIICtQYJKoZIhvcNAQcCoIICpjCCAqICAQExDzANBglghkgBZQMEAgEFADBEBgkq',
  'hkiG9w0BBwGgNwQ1Q29udGVudC1UeXBlOiB0ZXh0L3BsYWluDQoNClNlY3JldCBT',
  'L01JTUUgYm9keSA0MjQyDQoxggJEMIICQAIBATAyMBoxGDAWBgNVBAMMD2JvYkBl',
  'eGFtcGxlLm9yZwIUJTMV/l1760aplJvGDBkHaR9gJc8wDQYJYIZIAWUDBAIBBQCg',
  'geQwGAYJKoZIhvcNAQkDMQsGCSqGSIb3DQEHATAcBgkqhkiG9w0BCQUxDxcNMjYx',
  'MTI5MjMyMzIwWjAvBgkqhkiG9w0BCQQxIgQgvA6fEZa9kIHLzoTlFdGJurGjuWYS',
  'WbuPE33rrwtOZNEweQYJKoZIhvcNAQkPMWwwajALBglghkgBZQMEASowCwYJYIZI',
  'AWUDBAEWMAsGCWCGSAFlAwQBAjAKBggqhkiG9w0DBzAOBggqhkiG9w0DAgICAIAw',
  'DQYIKoZIhvcNAwICAUAwBwYFKw4DAgcwDQYIKoZIhvcNAwICASgwDQYJKoZIhvcN',
  'AQEBBQAEggEAUVrQ8X8C9zI+GQz9C+MkXUbmY/5zm07nxyVL5RL6TuORpTAyI2sl',
  'i3uQ6Y6zuY/OxPWO+upwB8Eiae7XT1QoSRkB7ttJIlARKlC9BrfFATJAj+MFdf/f',
  'U+pyFzWpqhMfFI8o+X5TF9eQZIgSNyF1GvwIz50E0ZAbF99+LL44VwhkG4ieVt4E',
  '+rAYDLqaVNpEYpZhqgNqi3e0GaORdGHTZgddkAwD2EJGZklNb5dd3OKoHgy6YFP9',
  '0x9GV2jX9dgAWEBJ4oid9bQYpvJq8DUOM3dvZF7FM/2VC45mROgzCM6FFmUcaJf/',
  'ywzpbbbQ6mUJAV2eP0pxakBX/nUP9HZkqg==',
];

const pgpMime = (armor: string[], extra: string[] = []) => [
  'MIME-Version: 1.0',
  'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";',
  ' boundary="enc-b"',
  '',
  'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
  '--enc-b',
  'Content-Type: application/pgp-encrypted',
  'Content-Description: PGP/MIME version identification',
  '',
  'Version: 1',
  '',
  '--enc-b',
  'Content-Type: application/octet-stream; name="encrypted.asc"',
  'Content-Disposition: inline; filename="encrypted.asc"',
  '',
  ...armor,
  '',
  ...extra,
  '--enc-b--',
  '',
];

const smime = (type: string, smimeType: string, lines: string[]) => [
  'MIME-Version: 1.0',
  'Content-Disposition: attachment; filename="smime.p7m"',
  `Content-Type: ${type}; smime-type=${smimeType}; name="smime.p7m"`,
  'Content-Transfer-Encoding: base64',
  '',
  ...lines,
  '',
];

/** Genuine ciphertext: stored as it came. */
export const alreadyEncrypted: Array<[string, Buffer]> = [
  ['PGP/MIME', crlf([...base, 'Subject: secret', ...pgpMime(PGP_ENCRYPTED)])],
  ['inline PGP', crlf([...base, 'Subject: inline', '', '', ...PGP_ENCRYPTED, ''])],
  [
    'inline PGP encrypted with a password, white space around the armor',
    crlf([
      ...base,
      'Subject: inline',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      '  ',
      ...PGP_PASSWORD_ENCRYPTED,
      '',
      '',
    ]),
  ],
  [
    'S/MIME enveloped-data',
    crlf([
      ...base,
      'Subject: smime',
      ...smime('application/x-pkcs7-mime', 'enveloped-data', SMIME_ENVELOPED),
    ]),
  ],
  [
    'S/MIME enveloped-data with BER indefinite lengths',
    crlf([
      ...base,
      'Subject: smime',
      ...smime('application/pkcs7-mime', 'enveloped-data', SMIME_ENVELOPED_STREAMED),
    ]),
  ],
  [
    'S/MIME authEnveloped-data (AES-GCM)',
    crlf([
      ...base,
      'Subject: smime',
      ...smime('application/pkcs7-mime', 'authEnveloped-data', SMIME_AUTH_ENVELOPED),
    ]),
  ],
];

/** Mail that claims to be encrypted and is not, or not all of it: encrypted like any other. */
export const lookAlikes: Array<[string, Buffer]> = [
  [
    'fake multipart/encrypted whose parts are plaintext',
    crlf([
      ...base,
      'Subject: fake',
      'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="x"',
      '',
      '--x',
      'Content-Type: application/pgp-encrypted',
      '',
      'Version: 1',
      '--x',
      'Content-Type: text/plain',
      '',
      'Le code est 4242.',
      '--x--',
      '',
    ]),
  ],
  [
    'multipart/encrypted whose armor holds a literal data packet',
    crlf([...base, 'Subject: lit', ...pgpMime(PGP_LITERAL)]),
  ],
  [
    'PGP/MIME with a third part in clear',
    crlf([
      ...base,
      'Subject: third',
      ...pgpMime(PGP_ENCRYPTED, ['--enc-b', 'Content-Type: text/plain', '', 'Le code est 4242.', '']),
    ]),
  ],
  [
    'S/MIME signed-only (smime-type=signed-data)',
    crlf([...base, 'Subject: signed', ...smime('application/pkcs7-mime', 'signed-data', SMIME_SIGNED)]),
  ],
  [
    'S/MIME signed-data labelled smime-type=enveloped-data',
    crlf([...base, 'Subject: liar', ...smime('application/pkcs7-mime', 'enveloped-data', SMIME_SIGNED)]),
  ],
  [
    'S/MIME enveloped-data with plaintext between its base64 lines',
    crlf([
      ...base,
      'Subject: hidden',
      ...smime('application/pkcs7-mime', 'enveloped-data', [
        ...SMIME_ENVELOPED.slice(0, 2),
        'Le code est 4242.',
        ...SMIME_ENVELOPED.slice(2),
      ]),
    ]),
  ],
  [
    'armored encrypted block followed by plaintext',
    crlf([...base, 'Subject: after', '', ...PGP_ENCRYPTED, '', 'P.S. Le code est 4242.', '']),
  ],
  [
    'plaintext followed by an armored encrypted block',
    crlf([...base, 'Subject: before', '', 'Le code est 4242.', ...PGP_ENCRYPTED, '']),
  ],
  [
    'leading white space before an armored literal data packet',
    crlf([...base, 'Subject: lit', '', ' \t', '  ', ...PGP_LITERAL, '']),
  ],
  [
    'an armored signed message, readable by anyone',
    crlf([...base, 'Subject: signed', '', ...PGP_SIGNED, '']),
  ],
  [
    'two Content-Type fields, multipart/encrypted then text/plain',
    crlf([
      ...base,
      'Subject: two',
      'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="x"',
      'Content-Type: text/plain',
      '',
      'Le code est 4242.',
      '',
    ]),
  ],
  [
    'two Content-Type fields around a genuine inline armor',
    crlf([
      ...base,
      'Subject: two',
      'Content-Type: text/plain',
      'Content-Type: text/html',
      '',
      ...PGP_ENCRYPTED,
      '',
    ]),
  ],
];
