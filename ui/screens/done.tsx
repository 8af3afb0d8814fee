// Done: what changed, the next steps (the seed's hints: nerdctl, linger, snapshotter), then
// verify's probes when the plan left containerd running with what was chosen (a line each as
// it concludes; a probe that should pass and fails makes the installer exit 1).
import { Text } from "ink";
import { Screen } from "../components/screen.tsx";
import { Spinner } from "../components/spinner.tsx";
import { blankRow, textRows, type Row } from "../components/line.tsx";
import { useEngine, useTheme } from "../contexts/app-context.tsx";
import { useAsync } from "../hooks/use-async.ts";
import { useKeys } from "../hooks/use-keys.ts";
import { useLayout } from "../hooks/use-layout.ts";
import { useScroll } from "../hooks/use-scroll.ts";
import { SCROLL_KEYS } from "../components/help-line.tsx";
import type { ApplyOutcome, PlanView } from "../engine/types.ts";
import { summaryLine } from "../../src/core/lifecycle/summary.ts";
import { useVerify } from "../hooks/use-verify.ts";
import { verifyHead, verifyLines } from "../components/verify-rows.tsx";
import { useEffect, useState } from "react";

/** `earlier`: summary parts of plans applied before this one in the same run (containerd, before its deferred add-ons). */
export function DoneScreen({ outcome, plan, earlier = [], onExit }: { outcome: ApplyOutcome; plan: PlanView; earlier?: string[]; onExit: (code: number) => void }) {
  const theme = useTheme();
  const engine = useEngine();
  const next = useAsync(() => engine.nextSteps(plan), [engine, plan]);
  const { width, bodyHeight } = useLayout();
  const height = bodyHeight(0);
  const verify = useVerify(Boolean(plan.verify && outcome.changed));
  const [leaving, setLeaving] = useState(false);
  const rows: Row[] = textRows("t", outcome.changed || earlier.length ? `Done: ${summaryLine([...earlier, ...(plan.summary ?? [])])}.` : "Done. Nothing needed to change.", width, { color: theme.ok, bold: true });
  // verify's outcome right under it (its lines follow the next steps)
  if (verify) rows.push(...verifyHead(verify, width, theme, leaving));
  rows.push(blankRow("b0"));
  if (next.loading) rows.push(<Text key="l"><Spinner color={theme.accent} /> …</Text>);
  for (const [i, l] of (next.value ?? []).entries()) rows.push(...textRows(`n.${i}`, l, width, {}, "    "));
  if (verify) rows.push(...verifyLines(verify, width, theme));
  const code = verify?.view && !verify.view.ok ? 1 : 0;
  // Enter while verify runs: leave once it has finished (and removed what it created)
  useEffect(() => {
    if (leaving && verify?.view) onExit(code);
  }, [leaving, verify?.view, code, onExit]);
  const scroll = useScroll(rows.length, height);
  useKeys((input, key) => {
    if (scroll.onKey(input, key)) return;
    if (key.return) (!verify || verify.view ? onExit(code) : setLeaving(true));
  }, code ? { quit: () => onExit(code) } : {});
  return <Screen title="Done" rows={rows} height={height} offset={scroll.offset} keys={[["Enter", "exit"], SCROLL_KEYS, ["q", "quit"]]} />;
}
