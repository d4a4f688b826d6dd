import { useEffect, useRef } from 'preact/hooks';
import type { Sanitised } from './sanitize';

/**
 * Shows sanitised mail HTML in a sandboxed frame with no scripts (no `allow-scripts`): even a
 * sanitiser miss cannot run code. Same-origin only so the page can size the frame and fill it
 * through the DOM; <style> sheets become constructed stylesheets, which the page's CSP allows.
 */
export function MessageFrame(props: { content: Sanitised; title: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    const iframe = frame.current;
    const doc = iframe?.contentDocument;
    if (!iframe || !doc) return;
    doc.body.replaceChildren();
    const body = props.content.body.cloneNode(true) as DocumentFragment;
    const base = new (
      iframe.contentWindow as unknown as { CSSStyleSheet: typeof CSSStyleSheet }
    ).CSSStyleSheet();
    base.replaceSync(
      'body{margin:0;font-family:system-ui,sans-serif;line-height:1.5;overflow-wrap:anywhere}img{max-width:100%;height:auto}',
    );
    const sheets = [base];
    for (const text of props.content.styles) {
      const sheet = new (
        iframe.contentWindow as unknown as { CSSStyleSheet: typeof CSSStyleSheet }
      ).CSSStyleSheet();
      try {
        sheet.replaceSync(text);
        sheets.push(sheet);
      } catch {
        // Unparseable CSS: ignored, as a browser would.
      }
    }
    doc.adoptedStyleSheets = sheets;
    doc.body.append(body);
    const resize = () => {
      iframe.style.height = `${doc.documentElement.scrollHeight + 8}px`;
    };
    resize();
    const observer = new ResizeObserver(resize);
    observer.observe(doc.body);
    return () => observer.disconnect();
  }, [props.content]);
  return (
    <iframe
      ref={frame}
      class="message-frame"
      title={props.title}
      sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
      src="about:blank"
    />
  );
}
