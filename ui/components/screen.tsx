// The frame of every screen: a title line, the scrollable body, an optional fixed footer,
// and the keyboard help line. Sized to the terminal (see use-layout).
import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { useAppContext } from "../contexts/app-context.tsx";
import { useQuit } from "../contexts/quit-context.tsx";
import { HelpLine, type KeyHelp } from "./help-line.tsx";
import { Viewport } from "./viewport.tsx";
import type { Row } from "./line.tsx";

export interface ScreenProps {
  title: string;
  rows: Row[];
  height: number;
  offset: number;
  keys: KeyHelp[];
  footer?: ReactNode;
  /** in place of the help line when no key does anything any more (the app is leaving): what happened */
  status?: { text: string; color?: string };
}

export function Screen({ title, rows, height, offset, keys, footer, status }: ScreenProps) {
  const { theme, version } = useAppContext();
  const quit = useQuit();
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color={theme.accent}>
          containerd-rootless-systemd {version}
        </Text>
        <Text> · {title}</Text>
      </Text>
      <Text> </Text>
      <Viewport rows={rows} height={height} offset={offset} mutedColor={theme.muted} />
      {footer}
      {quit.pending ? (
        <Text color={theme.warn} wrap="truncate-end">
          Stopping after the current step, then undoing what this run did…
        </Text>
      ) : status ? (
        <Text color={status.color} wrap="truncate-end">
          {status.text}
        </Text>
      ) : (
        <HelpLine keys={keys} />
      )}
    </Box>
  );
}
