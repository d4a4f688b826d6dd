import type { DnsSettings } from '../../config';
import { dkimTxtValue, DkimKeyRow, SELECTORS } from '../dkim-keys';
import type { DnsResult } from '../resolver';
import type { CheckEnv, CheckMessage, DnsProtocol } from './common';
import {
  Check,
  defineProtocol,
  expectedLines,
  missing,
  planned,
  recordLine,
  result,
  temporary,
  txtText,
} from './common';

/** The CNAME target of a delegated selector in the platform zone. */
export const delegatedKeyName = (settings: DnsSettings, domain: string, selector: string): string =>
  `${selector}.${domain}.${settings.dkimZone}`;

/** The p= tag of a key record, whitespace removed (RFC 6376 §3.6.1, §3.2 tag-list). */
export function publicKeyOf(text: string): string | undefined {
  for (const tag of text.split(';')) {
    const m = /^\s*p\s*=(.*)$/s.exec(tag);
    if (m) return m[1].replace(/\s+/g, '');
  }
  return undefined;
}

const keyName = (env: CheckEnv, selector: string) => `${selector}._domainkey.${env.domain}`;

/** Compares the key found behind `name` (TXT strings joined) with `key`. */
function compareKey(
  name: string,
  r: DnsResult,
  key: DkimKeyRow,
  publish: string[],
): CheckMessage | undefined {
  if (r.status !== 'ok') return undefined;
  const texts = r.records.map(txtText);
  if (texts.some((t) => publicKeyOf(t) === key.public_key)) return undefined;
  return {
    level: 'error',
    code: 'dkim_key_mismatch',
    text: {
      fr: `La clé DKIM publiée sous ${name} n’est pas la clé active de la plateforme : les signatures échoueront. Publiez : ${publish.join(' ; ')}`,
      en: `The DKIM key published at ${name} is not the platform’s active key: signatures will fail. Publish: ${publish.join('; ')}`,
    },
    publish,
  };
}

async function delegated(env: CheckEnv, active: DkimKeyRow[], expected: string[]) {
  const messages: CheckMessage[] = [];
  const found: string[] = [];
  const activeSelectors = new Set(active.map((k) => k.selector));
  await Promise.all(
    planned(env, 'dkim').map(async (rec) => {
      const selector = rec.name.split('.')[0];
      const line = expectedLines(env, 'dkim').find((l) => l.startsWith(`${rec.name}.`)) as string;
      const key = active.find((k) => k.selector === selector);
      const cname = await env.auth(rec.name, 'CNAME');
      if (cname.status === 'ok') found.push(...cname.records.map(recordLine));
      if (!activeSelectors.has(selector)) {
        // The stand-by selector: needed by the next rotation only.
        if (cname.status === 'ok' && cname.records[0].value === rec.value) return;
        if (cname.status === 'ok' || cname.status === 'nodata' || cname.status === 'nxdomain')
          messages.push({
            level: 'warning',
            code: 'dkim_standby_missing',
            text: {
              fr: `Le second sélecteur DKIM manque ou est faux ; le prochain renouvellement de clé attendra qu’il soit publié : ${line}`,
              en: `The second DKIM selector is missing or wrong; the next key renewal will wait until it is published: ${line}`,
            },
            publish: [line],
          });
        else messages.push(temporary(rec.name, 'CNAME', cname));
        return;
      }
      if (cname.status === 'nodata' || cname.status === 'nxdomain') {
        messages.push(
          missing(
            {
              fr: `Le sélecteur DKIM ${selector} n’est pas délégué : le courrier envoyé ne peut pas être vérifié.`,
              en: `The DKIM selector ${selector} is not delegated: sent mail cannot be verified.`,
            },
            [line],
            'dkim_missing',
          ),
        );
        return;
      }
      if (cname.status !== 'ok') {
        messages.push(temporary(rec.name, 'CNAME', cname));
        return;
      }
      const target = cname.records[0].value as string;
      const txt = await env.recursive(rec.name, 'TXT');
      const rightTarget = target === delegatedKeyName(env.settings, env.domain, selector);
      if ((txt.status === 'nodata' || txt.status === 'nxdomain') && rightTarget) {
        // The member's record is exactly right: the platform's own zone does not serve the key.
        // Nothing for the member to change; the racines must look at the DKIM zone.
        messages.push({
          level: 'unknown',
          code: 'dkim_platform_zone_silent',
          text: {
            fr: `${rec.name} est correct et pointe bien vers ${target}, mais la zone DKIM de la plateforme n’y répond pas : rien à changer de votre côté, les administrateurs de la plateforme sont concernés.`,
            en: `${rec.name} is right and points to ${target}, but the platform’s DKIM zone does not answer there: nothing to change on your side; the platform’s administrators are concerned.`,
          },
        });
        return;
      }
      if (txt.status === 'nodata' || txt.status === 'nxdomain') {
        messages.push({
          level: 'error',
          code: 'dkim_dangling_cname',
          text: {
            fr: `${rec.name} pointe vers ${target}, qui n’existe pas : aucune clé n’y est publiée. Remplacez-le par : ${line}`,
            en: `${rec.name} points to ${target}, which does not exist: no key is published there. Replace it with: ${line}`,
          },
          publish: [line],
        });
        return;
      }
      if (txt.status !== 'ok') {
        messages.push(temporary(rec.name, 'TXT', txt));
        return;
      }
      if (!rightTarget) {
        messages.push({
          level: 'error',
          code: 'dkim_cname_wrong',
          text: {
            fr: `${rec.name} pointe vers ${target} au lieu de la plateforme ; les clés renouvelées n’y seront pas. Remplacez-le par : ${line}`,
            en: `${rec.name} points to ${target} instead of the platform; renewed keys will not be there. Replace it with: ${line}`,
          },
          publish: [line],
        });
        return;
      }
      const mismatch = key && compareKey(rec.name, txt, key, [line]);
      if (mismatch) messages.push(mismatch);
    }),
  );
  return result('dkim', expected, found.sort(), messages);
}

async function plainTxt(env: CheckEnv, keys: DkimKeyRow[], expected: string[]) {
  const messages: CheckMessage[] = [];
  const found: string[] = [];
  await Promise.all(
    keys.map(async (key) => {
      const name = keyName(env, key.selector);
      const line = `${name}.\t3600\tIN\tTXT\t"${dkimTxtValue(key)}"`;
      let r = await env.auth(name, 'TXT');
      // A CNAME to another zone: follow it the way receivers do.
      if (r.status === 'nodata' && r.cnames.length) r = await env.recursive(name, 'TXT');
      if (r.status === 'ok') found.push(...r.records.map(recordLine));
      if (r.status === 'nodata' || r.status === 'nxdomain') {
        messages.push(
          key.state === 'pending'
            ? {
                level: 'warning',
                code: 'dkim_pending_publish',
                text: {
                  fr: `Une nouvelle clé DKIM attend d’être publiée ; elle remplacera l’actuelle dès qu’elle sera visible : ${line}`,
                  en: `A new DKIM key waits to be published; it replaces the current one as soon as it is visible: ${line}`,
                },
                publish: [line],
              }
            : missing(
                {
                  fr: `La clé DKIM ${key.selector} n’est pas publiée : le courrier envoyé ne peut pas être vérifié.`,
                  en: `The DKIM key ${key.selector} is not published: sent mail cannot be verified.`,
                },
                [line],
                'dkim_missing',
              ),
        );
        return;
      }
      if (r.status !== 'ok') {
        messages.push(temporary(name, 'TXT', r));
        return;
      }
      const mismatch = compareKey(name, r, key, [line]);
      if (mismatch) messages.push(key.state === 'pending' ? { ...mismatch, level: 'warning' } : mismatch);
    }),
  );
  return result('dkim', expected, found.sort(), messages);
}

/** DKIM: the key reached through the delegation CNAME, or the plain TXT, is the active key. */
const check: Check = async (env) => {
  const expected = expectedLines(env, 'dkim');
  const live = env.keys.filter((k) => k.state === 'active' || k.state === 'pending');
  const active = live.filter((k) => k.state === 'active');
  if (live.some((k) => k.mode === 'delegated') || live.length === 0) return delegated(env, active, expected);
  return plainTxt(env, live, expected);
};

/**
 * Delegated mode asks for both selectors of each algorithm once (CNAMEs into the platform zone),
 * so later rotations need no change at the customer's; TXT mode asks for each key that is
 * pending or active (a retiring key stays published only where it already is).
 */
const publish: DnsProtocol['publish'] = (settings, domain, keys) => {
  const live = keys.filter((k) => k.state !== 'retired');
  if (live.length === 0 || live.some((k) => k.mode === 'delegated')) {
    const algorithms = [...new Set(live.map((k) => k.algorithm))];
    return (algorithms.length ? algorithms : (['rsa'] as const)).flatMap((algorithm) =>
      SELECTORS[algorithm].map((selector) => ({
        id: `dkim-${selector}`,
        type: 'CNAME' as const,
        name: `${selector}._domainkey.${domain.name}`,
        value: delegatedKeyName(settings, domain.name, selector),
        purpose: {
          fr: 'Délègue la clé DKIM à la plateforme, qui la renouvelle sans que vous ayez à modifier votre zone.',
          en: 'Delegates the DKIM key to the platform, which renews it without any change to your zone.',
        },
      })),
    );
  }
  return live
    .filter((k) => k.state !== 'retiring')
    .map((key) => ({
      id: `dkim-${key.selector}`,
      type: 'TXT' as const,
      name: `${key.selector}._domainkey.${domain.name}`,
      value: dkimTxtValue(key),
      purpose:
        key.state === 'pending'
          ? {
              fr: 'Nouvelle clé DKIM : publiez-la, elle remplacera l’actuelle dès qu’elle sera visible.',
              en: 'New DKIM key: publish it; it replaces the current one as soon as it is visible.',
            }
          : {
              fr: 'Clé publique DKIM qui permet de vérifier les signatures du courrier envoyé.',
              en: 'DKIM public key that lets receivers verify the signatures of sent mail.',
            },
    }));
};

export const dkim = defineProtocol({ id: 'dkim', publish, check });
