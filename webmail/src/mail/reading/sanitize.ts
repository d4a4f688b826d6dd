import DOMPurify from 'dompurify';

/**
 * Mail HTML made safe to show: DOMPurify removes scripts, event handlers, forms, `javascript:`
 * links, <base>, meta refresh and anything executable; then every reference to another origin
 * (images, backgrounds, fonts, CSS url()) is cut unless the reader allowed remote content for
 * this message, and then rewritten by `remote` to the server's image proxy: the reader's
 * browser never contacts the sender's servers. <style> sheets are taken out and applied by the
 * frame as constructed stylesheets, which the page's CSP (style-src 'self') allows.
 */

const REMOTE = /^\s*(https?:)?\/\//i;
const CSS_URL = /url\(\s*(['"]?)(.*?)\1\s*\)/gi;
const URL_ATTRIBUTES = ['src', 'srcset', 'background', 'poster', 'xlink:href', 'href'];

export interface Sanitised {
  /** Sanitised <body> content. */
  body: DocumentFragment;
  /** The <style> sheets' text, with remote url() cut (applied as constructed stylesheets). */
  styles: string[];
  /** Remote resources that were blocked (to offer "load once"). */
  blocked: number;
}

type Rewrite = ((url: string) => string) | undefined;

/** A protocol-relative URL is an https one here: the page is served over https. */
const absolute = (url: string) => (url.trim().startsWith('//') ? `https:${url.trim()}` : url.trim());

/** A remote address CSS takes as a bare string: `image-set("…" 1x)`, `@import "…"`. */
const CSS_REMOTE_STRING = /(['"])\s*((?:https?:)?\/\/[^'"]*)\1/gi;

function cutCssUrls(css: string, remote: Rewrite, count: () => void): string {
  const proxied = (url: string) => remote?.(absolute(url)).replace(/["\\]/g, '') ?? '';
  return css
    .replace(CSS_URL, (whole, _q, url: string) => {
      if (/^(data|cid):/i.test(url.trim())) return whole;
      if (remote && REMOTE.test(url)) return `url("${proxied(url)}")`;
      count();
      return 'none';
    })
    .replace(CSS_REMOTE_STRING, (_whole, _q, url: string) => {
      if (remote) return `"${proxied(url)}"`;
      count();
      return 'none';
    });
}

export function sanitiseMail(
  html: string,
  options: { remote?: (url: string) => string; cid?: (id: string) => string | undefined },
): Sanitised {
  let blocked = 0;
  const count = () => {
    blocked++;
  };
  // <style> sheets are taken out before DOMPurify parses the rest: a parsed document here carries
  // the page's CSP, which would refuse (and report) every sheet, and a leading <style> lands in
  // <head>, which DOMPurify drops. A <template> parses inertly: nothing applies, nothing loads.
  const template = document.createElement('template');
  template.innerHTML = html;
  const styles = [...template.content.querySelectorAll('style')].map((el) => {
    const css = cutCssUrls(el.textContent ?? '', options.remote, count);
    el.remove();
    return css;
  });
  const purify = DOMPurify();
  purify.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element;
    for (const name of URL_ATTRIBUTES) {
      const value = el.getAttribute(name);
      if (value === null) continue;
      if (name === 'href') {
        // Links open outside the app, without telling the site where they came from.
        el.setAttribute('target', '_blank');
        el.setAttribute('rel', 'noopener noreferrer');
        continue;
      }
      if (/^cid:/i.test(value.trim()) && options.cid) {
        const url = options.cid(value.trim().slice(4));
        if (url) el.setAttribute(name, url);
        else el.removeAttribute(name);
        continue;
      }
      if (/^data:image\//i.test(value.trim())) continue;
      if (options.remote && REMOTE.test(value) && name !== 'srcset') {
        el.setAttribute(name, options.remote(absolute(value)));
        continue;
      }
      el.removeAttribute(name);
      if (REMOTE.test(value)) count();
    }
    const style = el.getAttribute('style');
    if (style !== null) el.setAttribute('style', cutCssUrls(style, options.remote, count));
  });
  const body = purify.sanitize(template.innerHTML, {
    RETURN_DOM_FRAGMENT: true,
    WHOLE_DOCUMENT: false,
    FORBID_TAGS: [
      'form',
      'input',
      'button',
      'select',
      'textarea',
      'base',
      'meta',
      'link',
      'iframe',
      'frame',
      'object',
      'embed',
      'script',
      'svg',
      'math',
      'style',
    ],
    FORBID_ATTR: ['action', 'formaction', 'ping'],
    ALLOW_DATA_ATTR: false,
  });
  return { body, styles, blocked };
}
