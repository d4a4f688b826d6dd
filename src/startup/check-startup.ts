import type { Config } from '../config';
import { checkDatabase } from '../db/open-database';
import { AppError } from '../errors';
import { mailstackDir } from '../mailstack/from-config';
import { mailstackStatus } from '../mailstack/start-mailstack';
import { blockingFolder, NOBODY, systemUserIds, willReach } from '../system/folder-access';
import { checkListeners } from './check-listeners';
import { listenersOf } from './listeners';

/**
 * Postfix and Dovecot, started as root, work as their own users in <data>/mailstack: under a
 * home in mode 0700 they could not reach it. giroflee does not loosen the home; it says so.
 */
function checkMailstackFolder(config: Config): void {
  if (process.getuid?.() !== 0) return;
  const dir = mailstackDir(config);
  for (const user of ['postfix', 'dovecot', 'vmail']) {
    const ids = systemUserIds(user) ?? NOBODY;
    if (willReach(dir, ids)) continue;
    const blocked = blockingFolder(dir, ids);
    throw new AppError(500, 'mailstack_unreachable', {
      fr:
        `Postfix et Dovecot travaillent sous leurs propres utilisateurs (${user}), qui ne peuvent pas atteindre ` +
        `${dir} : le dossier ${blocked} leur est fermé. giroflee ne modifie pas les droits de vos dossiers et ` +
        'n’a rien créé. Placez les données dans un dossier traversable (GIROFLEE_DATA_DIR=/var/lib/giroflee/data).',
      en:
        `Postfix and Dovecot work as their own users (${user}), who cannot reach ${dir}: the folder ` +
        `${blocked} is closed to them. giroflee does not change the permissions of your folders and created ` +
        'nothing. Put the data in a folder they can traverse (GIROFLEE_DATA_DIR=/var/lib/giroflee/data).',
    });
  }
}

/**
 * What `giroflee serve` checks before it creates anything (data directory, master key,
 * database cluster): every listener can open, the embedded database can live where it is
 * configured, and so can the private mail stack.
 */
export async function checkStartup(config: Config): Promise<void> {
  let listeners = listenersOf(config);
  if (config.mailstack) {
    const running = await mailstackStatus(mailstackDir(config));
    // A stack left running by a killed giroflee holds its own ports: the start replaces it.
    if (running.postfix || running.dovecot) listeners = listenersOf({ ...config, mailstack: false });
  }
  await checkListeners(listeners);
  await checkDatabase(config);
  if (config.mailstack) checkMailstackFolder(config);
}
