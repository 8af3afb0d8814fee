// The preflight checks, live: a spinner per probe group, then each finding with its fix,
// and every root-needing fix gathered into one copy-paste block.
import { Box, Text } from "ink";
import { isFatal } from "../../src/core/checks/findings.ts";
import { Spinner } from "../components/spinner.tsx";
import { Screen } from "../components/screen.tsx";
import { blankRow, textRows, type Row } from "../components/line.tsx";
import { findingRows, levelColor, sudoRows } from "../components/finding-rows.tsx";
import { useEngine, useTheme } from "../contexts/app-context.tsx";
import { useChecks } from "../hooks/use-checks.ts";
import { useKeys } from "../hooks/use-keys.ts";
import { useLayout } from "../hooks/use-layout.ts";
import { useScroll } from "../hooks/use-scroll.ts";
import { SCROLL_KEYS } from "../components/help-line.tsx";

export function ChecksScreen({ onNext, onRerun, onBack }: { onNext: () => void; onRerun: () => void; onBack: () => void }) {
  const theme = useTheme();
  const engine = useEngine();
  const checks = useChecks();
  const { width, bodyHeight } = useLayout();
  const rows: Row[] = [];
  for (const g of checks.groups) {
    const worst = g.findings.find(isFatal) ?? g.findings.find((f) => f.level === "warning");
    rows.push(
      <Text key={`g.${g.id}`} wrap="truncate-end">
        {g.state === "running" ? <Spinner color={theme.accent} /> : <Text color={levelColor(worst?.level ?? "ok", theme)}>{worst ? (isFatal(worst) ? "✗" : "!") : "✓"}</Text>}
        {` ${g.title}`}
      </Text>,
    );
    for (const f of g.findings) if (f.level !== "ok") rows.push(...findingRows(f, width, theme, "    "));
  }
  const findings = checks.findings;
  const fatal = findings?.filter(isFatal) ?? [];
  if (checks.error) rows.push(...textRows("err", `The checks failed to run: ${checks.error}`, width, { color: theme.error }));
  if (findings) {
    rows.push(blankRow("b1"));
    const block = engine.sudoBlock(findings);
    if (block) rows.push(...sudoRows(block, width, theme));
  }
  // the verdict stays in view below the list, however many findings there are to scroll through
  const verdict: Row[] = !findings
    ? []
    : fatal.length
      ? textRows("sum", `${fatal.length} problem${fatal.length > 1 ? "s" : ""} must be fixed before installing. Fix them, then press r to check again.`, width, { color: theme.error, bold: true })
      : textRows("sum", "Requirements are satisfied.", width, { color: theme.ok, bold: true });
  const height = bodyHeight(verdict.length);
  const scroll = useScroll(rows.length, height);
  const ready = findings !== undefined && fatal.length === 0;
  useKeys(
    (input, key) => {
      if (scroll.onKey(input, key)) return;
      if (key.return && ready) onNext();
      if (input === "r" && (findings || checks.error)) onRerun();
    },
    { escBack: onBack },
  );
  const keys: [string, string][] = ready ? [["Enter", "choose what to install"]] : findings || checks.error ? [["r", "check again"]] : [];
  const footer = verdict.length ? <Box flexDirection="column">{verdict}</Box> : undefined;
  return <Screen title="Checks" rows={rows} height={height} offset={scroll.offset} footer={footer} keys={[...keys, SCROLL_KEYS, ["Esc", "back"], ["q", "quit"]]} />;
}
