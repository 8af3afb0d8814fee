// Scroll position of a screen body: ↑/↓ a row, PgUp/PgDn a page, Home/End.
import { useState } from "react";
import type { Key } from "ink";

export interface Scroll {
  offset: number;
  /** handles a scrolling key; false when the key was something else */
  onKey(input: string, key: Key): boolean;
  toEnd(): void;
}

export function useScroll(total: number, height: number, arrows = true): Scroll {
  const [offset, setOffset] = useState(0);
  const max = Math.max(0, total - (height - 1));
  const clamp = (n: number) => Math.min(max, Math.max(0, n));
  const onKey = (_input: string, key: Key): boolean => {
    if (arrows && key.upArrow) setOffset((o) => clamp(o - 1));
    else if (arrows && key.downArrow) setOffset((o) => clamp(o + 1));
    else if (key.pageUp) setOffset((o) => clamp(o - (height - 2)));
    else if (key.pageDown) setOffset((o) => clamp(o + (height - 2)));
    else if (key.home) setOffset(0);
    else if (key.end) setOffset(max);
    else return false;
    return true;
  };
  return { offset: clamp(offset), onKey, toEnd: () => setOffset(max) };
}
