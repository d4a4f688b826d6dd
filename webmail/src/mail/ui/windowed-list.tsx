import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

/** Rows rendered above and below those in view, so a quick scroll or Tab finds them ready. */
const OVERSCAN = 10;
/** Within this many rows of the last one loaded, the next page is asked for. */
const NEAR_END = 30;
/** Until the first row is measured (the CSS gives rows one height, in rem, so zoom scales it). */
const GUESSED_ROW = 72;

export interface WindowedListProps<T> {
  items: T[];
  itemKey(item: T): string;
  /** The content of the item's row (its `<li>` is the list's). */
  row(item: T): ComponentChildren;
  rowClass?(item: T): string | undefined;
  label: string;
  /** aria-setsize of every row: the number of rows when known, -1 while more are to load. */
  setSize: number;
  /** The open item's index (-1 for none): rendered with its neighbours, so j / k find them. */
  current: number;
  /** The rows in view came near the last loaded one. */
  onNearEnd(): void;
}

/**
 * A list that renders only the rows in view (plus a margin), the open one and the one holding
 * focus: a folder of 10 000 messages costs the page the same as one of 50. Every row has the
 * same height (set in CSS), so where a row sits is its index times that height; rows are placed
 * absolutely in a list as tall as all of them, and the page scrolls as usual. Screen readers
 * hear each row's place in the whole (aria-posinset / aria-setsize); arrow keys, Home and End
 * move focus from row to row, rendering the next one first.
 */
export function WindowedList<T>(props: WindowedListProps<T>) {
  const list = useRef<HTMLUListElement>(null);
  const [rowHeight, setRowHeight] = useState(GUESSED_ROW);
  const [range, setRange] = useState<[number, number]>([0, 40]);
  const [focused, setFocused] = useState(-1);
  const focusNext = useRef(-1);
  const count = props.items.length;

  // What is in view, from the list's place in the viewport: works whether the page or a pane scrolls.
  const measure = () => {
    const ul = list.current;
    if (!ul) return;
    const first = ul.firstElementChild as HTMLElement | null;
    const height = first?.offsetHeight || rowHeight;
    if (height !== rowHeight) setRowHeight(height);
    const top = ul.getBoundingClientRect().top;
    const from = Math.max(0, Math.floor(-top / height) - OVERSCAN);
    const to = Math.min(count, Math.max(from, Math.ceil((window.innerHeight - top) / height) + OVERSCAN));
    setRange((r) => (r[0] === from && r[1] === to ? r : [from, to]));
  };
  const measureRef = useRef(measure);
  measureRef.current = measure;

  useEffect(() => {
    let frame = 0;
    const later = () => {
      if (!frame) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          measureRef.current();
        });
      }
    };
    // Scroll does not bubble: caught on its way down, from the page or any pane around the list.
    document.addEventListener('scroll', later, { passive: true, capture: true });
    window.addEventListener('resize', later);
    return () => {
      cancelAnimationFrame(frame);
      document.removeEventListener('scroll', later, { capture: true });
      window.removeEventListener('resize', later);
    };
  }, []);

  useLayoutEffect(() => measure(), [count, rowHeight]);

  useEffect(() => {
    if (count > 0 && range[1] >= count - NEAR_END) props.onNearEnd();
  }, [range[1], count]);

  // The open message brought into view (j / k, a link followed elsewhere), not the page jumped.
  useEffect(() => {
    if (props.current < 0) return;
    list.current
      ?.querySelector(`li[aria-posinset="${props.current + 1}"]`)
      ?.scrollIntoView({ block: 'nearest' });
  }, [props.current]);

  useLayoutEffect(() => {
    if (focusNext.current < 0) return;
    const li = list.current?.querySelector<HTMLElement>(`li[aria-posinset="${focusNext.current + 1}"]`);
    focusNext.current = -1;
    li?.scrollIntoView({ block: 'nearest' });
    li?.querySelector<HTMLElement>('a')?.focus();
  });

  const indexOf = (target: EventTarget | null) =>
    Number((target as HTMLElement | null)?.closest('li')?.getAttribute('aria-posinset') ?? 0) - 1;

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey || !(e.target as HTMLElement).matches('a')) return;
    const at = indexOf(e.target);
    const to =
      e.key === 'ArrowDown'
        ? at + 1
        : e.key === 'ArrowUp'
          ? at - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? count - 1
              : null;
    if (to === null || at < 0) return;
    e.preventDefault();
    const next = Math.min(count - 1, Math.max(0, to));
    focusNext.current = next;
    setFocused(next);
  };

  const shown = new Set<number>();
  for (let i = range[0]; i < Math.min(range[1], count); i++) shown.add(i);
  const kept = props.current < 0 ? [focused] : [props.current - 1, props.current, props.current + 1, focused];
  for (const i of kept) {
    if (i >= 0 && i < count) shown.add(i);
  }
  const indices = [...shown].sort((a, b) => a - b);

  return (
    <ul
      ref={list}
      class="mail-list mail-list-windowed"
      aria-label={props.label}
      style={{ height: `${count * rowHeight}px` }}
      onKeyDown={onKeyDown}
      onFocusIn={(e) => setFocused(indexOf(e.target))}
    >
      {indices.map((i) => {
        const item = props.items[i];
        return (
          <li
            key={props.itemKey(item)}
            class={props.rowClass?.(item)}
            aria-posinset={i + 1}
            aria-setsize={props.setSize}
            style={{ top: `${i * rowHeight}px` }}
          >
            {props.row(item)}
          </li>
        );
      })}
    </ul>
  );
}
