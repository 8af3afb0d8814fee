// verify's probes as rows: a head line (a spinner while they run, then the summary) and a mark
// and the probe's line each (✓ pass, ✗ FAIL, - off by a setting with its fix, · n/a).
import { Text } from "ink";
import { Spinner } from "./spinner.tsx";
import { blankRow, textRows, type Row } from "./line.tsx";
import type { Theme } from "../theme.ts";
import type { VerifyLine } from "../engine/types.ts";
import type { VerifyState } from "../hooks/use-verify.ts";

const MARK: Record<VerifyLine["status"], string> = { pass: "✓", FAIL: "✗", off: "-", "n/a": "·" };

/** The one line under "Done": verify running (how many probes concluded), then its summary. */
export function verifyHead(state: VerifyState, width: number, theme: Theme, leaving: boolean): Row[] {
  if (state.view) return textRows("v.s", state.view.summary, width, { color: state.view.ok ? theme.ok : theme.error, bold: true });
  const text = `Verifying that containers work… (${state.lines.length} probe${state.lines.length === 1 ? "" : "s"} concluded)${leaving ? "; exiting once it has finished" : ""}`;
  return [
    <Text key="v.spin" wrap="truncate-end">
      <Spinner color={theme.accent} /> {text}
    </Text>,
  ];
}

/** A line per concluded probe, with the fix under what failed. */
export function verifyLines(state: VerifyState, width: number, theme: Theme): Row[] {
  const rows: Row[] = [blankRow("v.b"), ...textRows("v.t", "Verify:", width, { bold: true })];
  for (const l of state.lines) {
    const color = l.status === "pass" ? theme.ok : l.status === "FAIL" ? theme.error : l.status === "off" ? theme.warn : theme.muted;
    rows.push(...textRows(`v.${l.id}`, `${MARK[l.status]} ${l.title}: ${l.message}`, width, { color }, "  "));
    if (l.fix && l.status !== "pass") rows.push(...textRows(`v.${l.id}.fix`, l.fix, width, { dimColor: true }, "    "));
  }
  return rows;
}
