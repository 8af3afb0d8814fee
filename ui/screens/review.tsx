// Review the plan before anything changes: files with coloured diffs, then commands.
import { Text } from "ink";
import { Screen } from "../components/screen.tsx";
import { Spinner } from "../components/spinner.tsx";
import { blankRow, textRows, type Row } from "../components/line.tsx";
import { planRows } from "../components/plan-rows.tsx";
import { useTheme } from "../contexts/app-context.tsx";
import { usePlan, type PlanRequest } from "../hooks/use-plan.ts";
import { useKeys } from "../hooks/use-keys.ts";
import { useLayout } from "../hooks/use-layout.ts";
import { useScroll } from "../hooks/use-scroll.ts";
import { SCROLL_KEYS } from "../components/help-line.tsx";
import type { PlanView } from "../engine/types.ts";

export function ReviewScreen({ request, onApply, onBack }: { request: PlanRequest; onApply: (plan: PlanView) => void; onBack: () => void }) {
  const theme = useTheme();
  const plan = usePlan(request);
  const { width, bodyHeight } = useLayout();
  const height = bodyHeight(0);
  const rows: Row[] = [];
  if (plan.loading) rows.push(<Text key="l"><Spinner color={theme.accent} /> Working out the plan…</Text>);
  if (plan.error) rows.push(...textRows("err", plan.error, width, { color: theme.error }));
  const p = plan.value;
  if (p) {
    rows.push(...textRows("t", p.unchanged ? `${p.title}: nothing to change, the machine is already like this.` : `${p.title}: ${p.items.length} step${p.items.length === 1 ? "" : "s"}.`, width, { bold: true }));
    rows.push(blankRow("b0"), ...planRows(p, width, theme));
    if (p.components) rows.push(blankRow("bc"), ...textRows("cmp", "Then containerd: its plan is made once the bundle is active (its programs come first on the service's PATH), and shown here before it is applied.", width, { color: theme.accent }));
    if (p.deferred?.length) rows.push(blankRow("b1"), ...textRows("def", `Then the add-ons (${p.deferred.join(", ")}): they run inside containerd's namespace, so their plan is made once containerd runs, and shown here before it is applied.`, width, { color: theme.accent }));
  }
  const scroll = useScroll(rows.length, height);
  useKeys(
    (input, key) => {
      if (scroll.onKey(input, key)) return;
      if (key.return && p && !p.unchanged) onApply(p);
      else if (key.return && p?.unchanged) onBack();
    },
    { escBack: onBack },
  );
  const go: [string, string] = p?.unchanged ? ["Enter", "back"] : ["Enter", "apply"];
  return <Screen title="Review the plan" rows={rows} height={height} offset={scroll.offset} keys={[...(p ? [go] : []), SCROLL_KEYS, ["Esc", "back"], ["q", "quit"]]} />;
}
