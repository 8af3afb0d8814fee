// Shows the rows that fit, from `offset`, with a marker when more is above or below.
import { Box, Text } from "ink";
import type { Row } from "./line.tsx";

export function Viewport({ rows, height, offset, mutedColor }: { rows: Row[]; height: number; offset: number; mutedColor?: string }) {
  const h = Math.max(1, height);
  if (rows.length <= h) return <Box flexDirection="column" height={h}>{rows}</Box>;
  const inner = h - 1;
  const start = Math.min(Math.max(0, offset), rows.length - inner);
  const end = start + inner;
  return (
    <Box flexDirection="column" height={h}>
      {rows.slice(start, end)}
      <Text color={mutedColor} dimColor wrap="truncate-end">
        {`  rows ${start + 1}-${end} of ${rows.length}${end < rows.length ? "  ↓ more" : ""}${start > 0 ? "  ↑ more" : ""}`}
      </Text>
    </Box>
  );
}
