import { useEffect, useState } from 'preact/hooks';
import { setAnnouncer } from '../shell/announce';

/**
 * The page's polite live region, always in the DOM so screen readers track it from the start.
 * The text is cleared first so the same sentence twice is announced twice.
 */
export function LiveRegion() {
  const [text, setText] = useState('');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    setAnnouncer((next) => {
      setText('');
      clearTimeout(timer);
      timer = setTimeout(() => setText(next), 50);
    });
    return () => {
      clearTimeout(timer);
      setAnnouncer(undefined);
    };
  }, []);
  return (
    <div id="announcements" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
      {text}
    </div>
  );
}
