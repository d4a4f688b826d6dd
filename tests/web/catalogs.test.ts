import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../webmail/src');

function flatten(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

/** i18next plural forms (`key_one`, `key_other`) answer to the bare key. */
const withPluralBases = (keys: string[]) =>
  new Set([...keys, ...keys.map((k) => k.replace(/_(one|other)$/, ''))]);

function catalogs(): Array<{ namespace: string; fr: string[]; en: string[] }> {
  return fs
    .readdirSync(SRC, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(SRC, d.name, 'i18n', 'fr.json')))
    .map((d) => {
      const read = (lang: string) =>
        flatten(JSON.parse(fs.readFileSync(path.join(SRC, d.name, 'i18n', `${lang}.json`), 'utf8')));
      return { namespace: d.name, fr: read('fr'), en: read('en') };
    });
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(d.name) ? [p] : [];
  });
}

describe('web app catalogs', () => {
  it('has every area’s strings in French and in English, key for key', () => {
    const found = catalogs();
    expect(found.map((c) => c.namespace)).toEqual(expect.arrayContaining(['shell', 'console', 'mail']));
    for (const { namespace, fr, en } of found) {
      expect({ namespace, keys: [...en].sort() }).toEqual({ namespace, keys: [...fr].sort() });
    }
  });

  it('has a string for every literal key the code asks for', () => {
    const keys = new Map(catalogs().map((c) => [c.namespace, withPluralBases(c.fr)] as const));
    const missing: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const text = fs.readFileSync(file, 'utf8');
      // Catalog keys are written `namespace:dotted.key` in t() calls and area definitions.
      for (const [, namespace, key] of text.matchAll(/['"`]([a-z]+):([a-zA-Z_.]+)['"`]/g)) {
        if (!keys.has(namespace)) continue;
        if (!keys.get(namespace)?.has(key)) missing.push(`${path.relative(SRC, file)}: ${namespace}:${key}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
