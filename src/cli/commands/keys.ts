import type { Command } from 'commander';
import { retireMasterKey, rotateMasterKey, RotationProgress } from '../../encryption/master-key-rotation';
import { action, commandGroup, output, withContext } from '../run-context';

/** A one-line progress bar on stderr (stdout stays for the result, JSON or text). */
function progressBar(): (p: RotationProgress) => void {
  return ({ column, done, total }) => {
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${column}   `,
    );
    if (done >= total) process.stderr.write('\n');
  };
}

export function registerKeys(program: Command): void {
  const keys = commandGroup(program, 'keys');
  keys
    .command('rotate-master')
    .description(
      'add a master key and re-wrap every secret with it (resumable: run again after an interruption); ' +
        'with --retire KEYID, remove an old key that nothing uses any more',
    )
    .option('--retire <keyId>', 'remove this old master key from the key file')
    .option('--batch <n>', 'secrets per transaction', (v) => Number(v), 500)
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { retire?: string; batch: number; json?: boolean }) => {
        await withContext(async (ctx) => {
          const file = ctx.config.masterKeyFile;
          if (opts.retire) {
            await retireMasterKey(ctx.db, file, opts.retire);
            output(opts.json, { retired: opts.retire }, () =>
              [
                `Clé maîtresse ${opts.retire} retirée de ${file}.`,
                `Master key ${opts.retire} removed from ${file}.`,
              ].join('\n'),
            );
            return;
          }
          const result = await rotateMasterKey(ctx.db, file, {
            batchSize: opts.batch,
            onProgress: opts.json ? undefined : progressBar(),
          });
          output(opts.json, result, () =>
            [
              result.continued
                ? `Rotation interrompue terminée vers la clé ${result.keyId} / Interrupted rotation finished onto key ${result.keyId}.`
                : `Nouvelle clé maîtresse ${result.keyId} / New master key ${result.keyId}.`,
              `${result.rewrapped} secrets re-chiffrés / secrets re-wrapped.`,
              `Copiez ${file} sur chaque hôte giroflee et sauvegardez-le à part de la base.`,
              `Copy ${file} to every giroflee host and back it up apart from the database.`,
              ...result.retirable.map(
                (id) =>
                  `La clé ${id} n’est plus utilisée : giroflee keys rotate-master --retire ${id}\n` +
                  `Key ${id} is no longer used: giroflee keys rotate-master --retire ${id}`,
              ),
            ].join('\n'),
          );
        });
      }),
    );
}
