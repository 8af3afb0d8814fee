// A checklist: ↑↓ move, Space toggles. Unavailable items cannot be ticked and say why.
import { Text } from "ink";
import type { Theme } from "../theme.ts";
import { textRows, type Row } from "./line.tsx";

export interface SelectItem {
  id: string;
  label: string;
  summary: string;
  disabledReason?: string;
  /** a note after the label, e.g. "installed" */
  note?: string;
}

export interface MultiSelectRows {
  rows: Row[];
  /** the row index of the cursor, to keep it in view */
  cursorRow: number;
}

export function multiSelectRows(items: SelectItem[], selected: ReadonlySet<string>, cursor: number, width: number, theme: Theme): MultiSelectRows {
  const rows: Row[] = [];
  let cursorRow = 0;
  items.forEach((item, i) => {
    const here = i === cursor;
    if (here) cursorRow = rows.length;
    const box = item.disabledReason ? "[-]" : selected.has(item.id) ? "[x]" : "[ ]";
    rows.push(
      <Text key={`i.${item.id}`} wrap="truncate-end" color={item.disabledReason ? theme.muted : here ? theme.accent : undefined} bold={here}>
        {`${here ? "›" : " "} ${box} ${item.label}`}
        {item.note ? <Text color={theme.ok}>{` (${item.note})`}</Text> : null}
      </Text>,
    );
    rows.push(...textRows(`s.${item.id}`, `      ${item.summary}`, width, { dimColor: true }, "      "));
    if (item.disabledReason) rows.push(...textRows(`r.${item.id}`, `      not available: ${item.disabledReason}`, width, { color: theme.warn }, "      "));
  });
  return { rows, cursorRow };
}

/** The scroll offset that keeps `row` visible in a window of `height` rows. */
export function followCursor(offset: number, row: number, height: number): number {
  const inner = Math.max(1, height - 1);
  if (row < offset) return row;
  if (row >= offset + inner - 1) return row - inner + 2;
  return offset;
}
