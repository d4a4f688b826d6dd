import fs from 'node:fs';
import type { Command } from 'commander';
import { createBackup } from '../../backup/create-backup';
import { restoreBackup, type RestoreSource } from '../../backup/restore-backup';
import { loadConfig } from '../../config';
import { openDatabase } from '../../db/open-database';
import { loadOrCreateKeyring } from '../../encryption/master-key';
import { errors } from '../../errors';
import { logger } from '../../logger';
import { action, commandGroup, output, withContext } from '../run-context';

export function registerBackup(program: Command): void {
  commandGroup(program, 'backup')
    .description(
      'write a backup (database snapshot, mail store, manifests; never the master key) into a new folder, ' +
        'or as a tar stream on stdout for borg (docs/backup.md)',
    )
    .option('--out <dir>', 'a new or empty folder to write the backup into')
    .option('--stdout', 'write a tar stream on stdout (borg import-tar, or --content-from-command)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { out?: string; stdout?: boolean; json?: boolean }) => {
        if (Boolean(opts.out) === Boolean(opts.stdout)) {
          throw errors.badRequest('backup_target', {
            fr: 'Indiquez où écrire la sauvegarde : --out <dossier> ou --stdout.',
            en: 'Say where to write the backup: --out <folder> or --stdout.',
          });
        }
        // The log writes to stdout, which is the tar stream's: it stays silent, and the summary
        // (or the error) goes to stderr, which borg shows.
        if (opts.stdout) logger.level = 'silent';
        await withContext(async (ctx) => {
          const summary = await createBackup(ctx, opts.out ? { dir: opts.out } : { stream: process.stdout });
          const say = opts.stdout ? (text: string) => process.stderr.write(`${text}\n`) : undefined;
          const human = () =>
            [
              `Sauvegarde écrite / Backup written${opts.out ? `: ${opts.out}` : ''}`,
              `  ${summary.tables} tables, ${summary.databaseRows} lignes / rows; ${summary.mailFiles} fichiers de courrier / mail files; ${summary.bytes} octets / bytes`,
              '  La clé maîtresse n’y est pas : gardez-la à part. / The master key is not in it: keep it apart.',
            ].join('\n');
          if (say) say(opts.json ? JSON.stringify(summary) : human());
          else output(opts.json, summary, human);
        });
      }),
    );

  commandGroup(program, 'restore')
    .description(
      'restore a backup (folder, tar file, or - for a tar stream on stdin) into an empty database and mail store; ' +
        'the master key must already be in place (docs/backup.md)',
    )
    .requiredOption('--from <source>', 'backup folder, tar file, or - for stdin')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { from: string; json?: boolean }) => {
        const config = loadConfig();
        let source: RestoreSource;
        if (opts.from === '-') source = { stream: process.stdin };
        else if (fs.statSync(opts.from).isDirectory()) source = { dir: opts.from };
        else source = { stream: fs.createReadStream(opts.from) };
        fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
        const database = await openDatabase(config, { min: 0, max: 4 });
        try {
          // Never made here: a new key would open none of the backup's secrets.
          const keyring = fs.existsSync(config.masterKeyFile)
            ? loadOrCreateKeyring(config.masterKeyFile)
            : undefined;
          const summary = await restoreBackup({ db: database.db, config, keyring }, source);
          output(opts.json, summary, () =>
            [
              `Sauvegarde du ${summary.createdAt} restaurée / Backup of ${summary.createdAt} restored:`,
              `  ${summary.tables} tables, ${summary.databaseRows} lignes / rows; ${summary.mailFiles} fichiers de courrier dans / mail files in ${summary.mailRoot}`,
            ].join('\n'),
          );
        } finally {
          await database.close();
        }
      }),
    );
}
