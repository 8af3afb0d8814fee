// A plan as rows: each step's label (coloured by what it does to its object), the why under
// it, and for a file its coloured diff.
import type { PlanView } from "../engine/types.ts";
import type { Theme } from "../theme.ts";
import { EFFECT_MARK } from "../../src/core/plan/render.ts";
import { textRows, type Row } from "./line.tsx";

export function planRows(plan: PlanView, width: number, theme: Theme): Row[] {
  const rows: Row[] = [];
  plan.items.forEach((item, i) => {
    const color = item.effect === "remove" ? theme.removed : item.effect === "unchanged" ? theme.muted : item.effect === "act" ? undefined : theme.added;
    rows.push(...textRows(`p.${i}`, `${item.label}${EFFECT_MARK[item.effect]}`, width, { color, bold: item.kind !== "wait", dimColor: item.kind === "wait" }, "  "));
    if (item.detail) rows.push(...textRows(`w.${i}`, `  ${item.detail}`, width, { dimColor: true }, "  "));
    item.diff.forEach((l, j) => {
      const c = l.startsWith("+") ? theme.added : l.startsWith("-") ? theme.removed : l.startsWith("@@") ? theme.accent : undefined;
      // wrapped, not cut: a long line (PATH=..., ExecStart=...) is what the user must be able to read
      rows.push(...textRows(`d.${i}.${j}`, `    ${l}`, width, { color: c, dimColor: !c }, "     "));
    });
  });
  return rows;
}
