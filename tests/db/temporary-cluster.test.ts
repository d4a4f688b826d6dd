import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeTemporaryCluster, temporaryClusterDir } from '../../src/db/embedded';

describe('removeTemporaryCluster', () => {
  let elsewhere: string;
  beforeAll(() => {
    // Stands for the system folder where a cluster its user could not reach is kept.
    elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-clusters-'));
  });
  afterAll(() => fs.rmSync(elsewhere, { recursive: true, force: true }));

  it('removes the folder with the cluster in it', () => {
    const { dir, clusterDir } = temporaryClusterDir('giroflee-tmp-cluster-');
    fs.mkdirSync(clusterDir);
    fs.writeFileSync(path.join(clusterDir, 'PG_VERSION'), '17\n');
    removeTemporaryCluster(dir);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('removes the cluster kept elsewhere that its link names, and no other cluster there', () => {
    const { dir, clusterDir } = temporaryClusterDir('giroflee-tmp-cluster-');
    const mine = path.join(elsewhere, 'tmp-giroflee-tmp-cluster-mine');
    const other = path.join(elsewhere, 'tmp-giroflee-tmp-cluster-other');
    for (const d of [mine, other]) {
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'PG_VERSION'), '17\n');
    }
    fs.symlinkSync(mine, clusterDir);
    removeTemporaryCluster(dir);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(mine)).toBe(false);
    expect(fs.readdirSync(elsewhere)).toEqual([path.basename(other)]);
  });
});
