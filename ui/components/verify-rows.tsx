// verify's probes as rows: a mark and the probe's line each (✓ pass, ✗ FAIL, - off by a
// setting with its fix, · n/a), a spinner while more are to come, then the summary.
import { Text } from "ink";
import { Spinner } from "./spinner.tsx";
import { blankRow, textRows, type Row } from "./line.tsx";
import type { Theme } from "../theme.ts";
import type { VerifyLine } from "../engine/types.ts";
import type { VerifyState } from "../hooks/use-verify.ts";

const MARK: Record<VerifyLine["status"], string> = { pass: "✓", FAIL: "✗", off: "-", "n/a": "·" };

export function verifyRows(state: VerifyState, width: number, theme: Theme): Row[] {
  const rows: Row[] = [blankRow("v.b"), ...textRows("v.t", "Verifying that containers work", width, { bold: true })];
  for (const l of state.lines) {
    const color = l.status === "pass" ? theme.ok : l.status === "FAIL" ? theme.error : l.status === "off" ? theme.warn : theme.muted;
    rows.push(...textRows(`v.${l.id}`, `${MARK[l.status]} ${l.title}: ${l.message}`, width, { color }, "  "));
    if (l.fix && l.status !== "pass") rows.push(...textRows(`v.${l.id}.fix`, l.fix, width, { dimColor: true }, "    "));
  }
  if (!state.view) rows.push(<Text key="v.spin"><Spinner color={theme.accent} /> …</Text>);
  else rows.push(...textRows("v.s", state.view.summary, width, { color: state.view.ok ? theme.ok : theme.error, bold: true }));
  return rows;
}
