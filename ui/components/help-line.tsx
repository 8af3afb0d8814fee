// The keyboard help line at the bottom of every screen.
import { Text } from "ink";
import { useTheme } from "../contexts/app-context.tsx";

export type KeyHelp = [keys: string, action: string];

/** the keys of a scrolling body (use-scroll) */
export const SCROLL_KEYS: KeyHelp = ["↑↓ PgUp PgDn", "scroll"];

export function HelpLine({ keys }: { keys: KeyHelp[] }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end" color={theme.muted}>
      {keys.map(([k, a]) => `${k} ${a}`).join(" · ")}
    </Text>
  );
}
