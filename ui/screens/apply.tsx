// Applying: the live step list with a progress count. Quitting here stops after the current
// step and rolls back (see use-apply). A failure shows what went wrong and what was undone.
import { Text } from "ink";
import { Screen } from "../components/screen.tsx";
import { Spinner } from "../components/spinner.tsx";
import { blankRow, textRows, type Row } from "../components/line.tsx";
import { planStepLabel } from "../components/step-label.ts";
import { bar, downloadRow } from "../components/download-bar.tsx";
import { SCROLL_KEYS } from "../components/help-line.tsx";
import { useTheme } from "../contexts/app-context.tsx";
import { useApply } from "../hooks/use-apply.ts";
import { useKeys } from "../hooks/use-keys.ts";
import { useLayout } from "../hooks/use-layout.ts";
import { useScroll } from "../hooks/use-scroll.ts";
import type { ApplyOutcome, PlanView, StepState } from "../engine/types.ts";
import type { Theme } from "../theme.ts";
import { useEffect } from "react";

const MARK: Record<StepState, string> = { pending: "·", running: "", done: "✓", failed: "✗", undone: "↺", skipped: "-" };

function markColor(s: StepState, theme: Theme) {
  return s === "done" ? theme.ok : s === "failed" ? theme.error : s === "undone" ? theme.warn : theme.muted;
}

export function ApplyScreen({ plan, onDone, onExit }: { plan: PlanView; onDone: (outcome: ApplyOutcome) => void; onExit: (code: number) => void }) {
  const theme = useTheme();
  const { width, bodyHeight } = useLayout();
  const height = bodyHeight(0);
  const apply = useApply(plan);
  const finished = apply.states.filter((s) => s === "done").length;
  const rows: Row[] = [
    <Text key="progress" wrap="truncate-end">
      {bar(plan.items.length === 0 ? 1 : finished / plan.items.length, Math.min(30, width - 20))} {finished}/{plan.items.length}
    </Text>,
    blankRow("b0"),
  ];
  plan.items.forEach((_, i) => {
    const s = apply.states[i]!;
    rows.push(
      <Text key={`s.${i}`} wrap="truncate-end" dimColor={s === "pending"}>
        {s === "running" ? <Spinner color={theme.accent} /> : <Text color={markColor(s, theme)}>{MARK[s]}</Text>} {planStepLabel(plan, i)}
        {apply.details[i] ? <Text dimColor>{`  ${apply.details[i]}`}</Text> : null}
      </Text>,
    );
    if (s === "running" && apply.download?.index === i) rows.push(downloadRow(`dl.${i}`, apply.download.figures, width, theme));
  });
  const o = apply.outcome;
  if (o && !o.ok) {
    rows.push(blankRow("b1"));
    rows.push(...textRows("o", o.cancelled ? "Cancelled." : `Failed: ${o.error ?? "unknown error"}`, width, { color: theme.error, bold: true }));
    if (o.rolledBack) rows.push(...textRows("rb", "What this run changed was undone; the machine is as it was before.", width, { color: theme.warn }));
    for (const [i, d] of (o.diagnostics ?? []).entries()) rows.push(...textRows(`d.${i}`, d, width, { dimColor: true }));
  }
  const scroll = useScroll(rows.length, height);
  useEffect(() => {
    if (o?.ok) onDone(o);
  }, [o, onDone]);
  const failed = o !== undefined && !o.ok && !o.cancelled;
  useKeys(
    (input, key) => {
      if (scroll.onKey(input, key)) return;
      if (key.return && failed) onExit(1);
    },
    // after a failure every way out exits 1
    failed ? { quit: () => onExit(1) } : {},
  );
  const keys: [string, string][] = failed ? [["Enter", "exit"], SCROLL_KEYS, ["q", "quit"]] : [SCROLL_KEYS, ["q", "stop and undo"]];
  // the app exits after a cancel: this line is the last one left on the terminal
  const status = o?.cancelled
    ? o.rolledBack
      ? { text: "Cancelled: what this run changed was undone; the machine is as it was before.", color: theme.warn }
      : { text: "Cancelled, but not all of what this run changed could be undone: see above.", color: theme.error }
    : undefined;
  return <Screen title="Applying" rows={rows} height={height} offset={scroll.offset} keys={keys} status={status} />;
}
