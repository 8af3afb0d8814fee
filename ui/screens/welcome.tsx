// First screen: what this machine is, and what the installer is about to do.
import { Spinner } from "../components/spinner.tsx";
import { Screen } from "../components/screen.tsx";
import { blankRow, textRows, type Row } from "../components/line.tsx";
import { Text } from "ink";
import { useTheme } from "../contexts/app-context.tsx";
import { useEnvironment } from "../hooks/use-environment.ts";
import { useKeys } from "../hooks/use-keys.ts";
import { useLayout } from "../hooks/use-layout.ts";
import { useScroll } from "../hooks/use-scroll.ts";
import { SCROLL_KEYS } from "../components/help-line.tsx";
import type { EnvironmentFacts } from "../engine/types.ts";

const FACTS: [keyof EnvironmentFacts, string][] = [
  ["user", "User"],
  ["distro", "Distribution"],
  ["kernel", "Kernel"],
  ["cgroup", "cgroup"],
  ["rootlesskit", "RootlessKit"],
  ["containerd", "containerd"],
];

export function WelcomeScreen({ onNext, notice }: { onNext: () => void; notice?: string }) {
  const theme = useTheme();
  const env = useEnvironment();
  const { width, bodyHeight } = useLayout();
  const height = bodyHeight(0);
  const rows: Row[] = [];
  rows.push(...textRows("intro", "Sets up rootless containerd as a systemd user service, with its add-ons. Nothing changes until you have reviewed the plan and confirmed it.", width));
  rows.push(blankRow("b1"));
  if (notice) rows.push(...textRows("notice", notice, width, { color: theme.warn }), blankRow("b2"));
  if (env.loading)
    rows.push(
      <Text key="loading">
        <Spinner color={theme.accent} /> Looking at this machine…
      </Text>,
    );
  if (env.error) rows.push(...textRows("err", `Could not read the environment: ${env.error}`, width, { color: theme.error }));
  if (env.value) {
    for (const [k, label] of FACTS) {
      const v = env.value[k];
      rows.push(
        <Text key={k} wrap="truncate-end">
          {`  ${label.padEnd(14)}`}
          <Text color={v ? undefined : theme.warn}>{v ?? "not found"}</Text>
        </Text>,
      );
    }
  }
  const scroll = useScroll(rows.length, height);
  useKeys((input, key) => {
    if (scroll.onKey(input, key)) return;
    if (key.return) onNext(); // the summary is for reading; no need to wait for it
  });
  return <Screen title="Welcome" rows={rows} height={height} offset={scroll.offset} keys={[["Enter", "run the checks"], SCROLL_KEYS, ["q", "quit"]]} />;
}
