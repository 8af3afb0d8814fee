// A finding as rows: its symbol and message, then its fix and any detail, indented.
import type { Finding } from "../../src/core/checks/findings.ts";
import type { Theme } from "../theme.ts";
import { textRows, type Row } from "./line.tsx";

const SYMBOL = { ok: "✓", info: "·", warning: "!", error: "✗" } as const;

export function levelColor(level: Finding["level"], theme: Theme): string | undefined {
  return level === "ok" ? theme.ok : level === "warning" ? theme.warn : level === "error" ? theme.error : theme.muted;
}

export function findingRows(f: Finding, width: number, theme: Theme, indent = "  "): Row[] {
  const key = `f.${f.id}`;
  const rows = textRows(key, `${indent}${SYMBOL[f.level]} ${f.message}`, width, { color: levelColor(f.level, theme) }, `${indent}  `);
  if (f.fix) rows.push(...textRows(`${key}.fix`, `${indent}  fix: ${f.fix}`, width, {}, `${indent}       `));
  if (f.then) rows.push(...textRows(`${key}.then`, `${indent}  after the root commands: ${f.then}`, width, {}, `${indent}       `));
  if (f.detail) rows.push(...textRows(`${key}.detail`, `${indent}    ${f.detail.trimEnd()}`, width, { dimColor: true }, `${indent}    `));
  return rows;
}

/** The copy-paste block of fixes that need root, framed so it is easy to select. */
export function sudoRows(block: string, width: number, theme: Theme): Row[] {
  if (!block) return [];
  return [
    ...textRows("sudo.intro", "Fixes that need root (copy and paste into a terminal):", width, { bold: true }),
    ...block.split("\n").flatMap((l, i) => textRows(`sudo.${i}`, l, width, { color: theme.accent })),
  ];
}
