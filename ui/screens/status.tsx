// Already installed: the status, and what can be done from here.
import { Text } from "ink";
import { Screen } from "../components/screen.tsx";
import { blankRow, textRows, type Row } from "../components/line.tsx";
import { useTheme } from "../contexts/app-context.tsx";
import { useKeys } from "../hooks/use-keys.ts";
import { useLayout } from "../hooks/use-layout.ts";
import { useScroll } from "../hooks/use-scroll.ts";
import { SCROLL_KEYS } from "../components/help-line.tsx";
import type { InstalledState } from "../engine/types.ts";

export type StatusAction = "addons" | "settings" | "uninstall" | "purge";

export function StatusScreen({ status, onAction }: { status: InstalledState; onAction: (a: StatusAction) => void }) {
  const theme = useTheme();
  const { width, bodyHeight } = useLayout();
  const height = bodyHeight(0);
  const rows: Row[] = [
    <Text key="svc" wrap="truncate-end">
      {"containerd.service  "}
      <Text color={status.active ? theme.ok : theme.warn}>{status.active ? "active" : "installed, not running"}</Text>
    </Text>,
  ];
  for (const [i, d] of status.detail.entries()) rows.push(...textRows(`d.${i}`, `  ${d}`, width, { dimColor: true }, "    "));
  rows.push(blankRow("b0"), <Text key="ah" bold>Add-ons</Text>);
  for (const a of status.addons)
    rows.push(
      <Text key={`a.${a.id}`} wrap="truncate-end">
        {`  ${a.installed ? "[x]" : "[ ]"} ${a.title}`}
        {a.installed ? <Text color={a.active === false ? theme.warn : theme.ok}>{a.active === false ? "  not running" : "  installed"}</Text> : null}
      </Text>,
    );
  const settings = Object.entries(status.settings);
  rows.push(blankRow("b1"), <Text key="sh" bold>RootlessKit and proxy settings</Text>);
  if (settings.length === 0) rows.push(<Text key="sd" dimColor>  all defaults</Text>);
  for (const [k, v] of settings) rows.push(<Text key={`s.${k}`} wrap="truncate-end">{`  ${k} = ${v}`}</Text>);
  const scroll = useScroll(rows.length, height);
  useKeys((input, key) => {
    if (scroll.onKey(input, key)) return;
    if (input === "a") onAction("addons");
    else if (input === "s") onAction("settings");
    else if (input === "u") onAction("uninstall");
    else if (input === "P") onAction("purge");
  });
  return (
    <Screen
      title="Installed"
      rows={rows}
      height={height}
      offset={scroll.offset}
      keys={[["a", "add-ons"], ["s", "settings"], ["u", "uninstall"], ["P", "purge"], SCROLL_KEYS, ["q", "quit"]]}
    />
  );
}
