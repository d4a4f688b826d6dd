import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring, loadOrCreateKeyring, saveKeyring } from '../../src/encryption/master-key';

describe('the master key file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-master-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(['640', '604', '644'])(
    'refuses to start when the file is readable by group or others (mode %s), saying how to fix it',
    (mode) => {
      const file = path.join(dir, 'master.key');
      saveKeyring(file, new Keyring([Keyring.generateKey()]));
      fs.chmodSync(file, parseInt(mode, 8));
      expect(() => loadOrCreateKeyring(file)).toThrow(
        expect.objectContaining({
          code: 'master_key_exposed',
          message: expect.stringContaining(`chmod 600 ${file}`),
        }),
      );
      fs.chmodSync(file, 0o600);
      expect(loadOrCreateKeyring(file).keys).toHaveLength(1);
    },
  );
});
