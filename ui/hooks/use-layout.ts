// The terminal's size, and how many rows a screen body may use. Ink re-renders on resize;
// one row is kept free because Ink clears the whole terminal when a frame fills it.
import { useWindowSize } from "ink";

export interface Layout {
  width: number;
  rows: number;
  bodyHeight: (footerRows: number) => number;
}

export function useLayout(): Layout {
  const size = useWindowSize();
  const width = Math.max(40, (size.columns || 80) - 1);
  const rows = Math.max(12, size.rows || 24);
  // header, blank, footer, help line, the free row
  return { width, rows, bodyHeight: (footerRows) => rows - 4 - footerRows };
}
