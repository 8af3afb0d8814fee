// A plan as rows: each file with its action and a coloured diff, each command, each wait.
import type { PlanView } from "../engine/types.ts";
import type { Theme } from "../theme.ts";
import { textRows, type Row } from "./line.tsx";

const ACTION = { create: "create", update: "update", remove: "remove", unchanged: "unchanged" } as const;
/** every row is "<what, padded> <text>": paths, commands and waits start in the same column, continuations under them */
const COLUMN = 10;
const labelled = (what: string, text: string) => `${what.padEnd(COLUMN - 1)} ${text}`;

export function planRows(plan: PlanView, width: number, theme: Theme): Row[] {
  const rows: Row[] = [];
  plan.items.forEach((item, i) => {
    if (item.kind === "file") {
      const color = item.action === "remove" ? theme.removed : item.action === "unchanged" ? theme.muted : theme.added;
      rows.push(...textRows(`p.${i}`, labelled(ACTION[item.action], item.path), width, { color, bold: true }, " ".repeat(COLUMN)));
      item.diff.forEach((l, j) => {
        const c = l.startsWith("+") ? theme.added : l.startsWith("-") ? theme.removed : l.startsWith("@@") ? theme.accent : undefined;
        // wrapped, not cut: a long line (PATH=..., ExecStart=...) is what the user must be able to read
        rows.push(...textRows(`d.${i}.${j}`, `  ${l}`, width, { color: c, dimColor: !c }, "   "));
      });
    } else if (item.kind === "command") {
      rows.push(...textRows(`p.${i}`, labelled("run", `$ ${item.text}`), width, {}, " ".repeat(COLUMN + 2)));
    } else {
      rows.push(...textRows(`p.${i}`, labelled("wait", item.text), width, { dimColor: true }, " ".repeat(COLUMN)));
    }
  });
  return rows;
}
