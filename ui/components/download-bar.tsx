// A download under way as one row: a bar that fills with the bytes received, then the figures
// the engine worked out (bytes done / total and percent, rate, ETA). Without a total (no
// Content-Length) there is no bar, just the bytes and the rate.
import { Text } from "ink";
import type { ProgressFigures } from "../../src/core/components/progress.ts";
import type { Theme } from "../theme.ts";

export function bar(fraction: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return "█".repeat(filled) + "░".repeat(Math.max(0, width - filled));
}

/** The figures as the row's text: "12.3 MB / 45.0 MB (27%) · 3.2 MB/s · ETA 11 s". */
export function downloadText(f: ProgressFigures): string {
  return [f.total ? `${f.done} / ${f.total} (${f.percent}%)` : f.done, f.rate, f.eta].filter(Boolean).join(" · ");
}

/** "999.9 MB / 999.9 MB (100%) · 99.9 MB/s · ETA 999 s" */
const LONGEST = 50;

export function downloadRow(key: string, f: ProgressFigures, width: number, theme: Theme) {
  const text = downloadText(f);
  // the bar keeps one width while the text changes: what the longest text leaves, 10 to 30 columns
  const w = Math.max(10, Math.min(30, width - LONGEST - 4));
  return (
    <Text key={key} wrap="truncate-end">
      {"  "}
      {f.fraction !== null ? <Text color={theme.accent}>{bar(f.fraction, w)}</Text> : null}
      {f.fraction !== null ? " " : ""}
      {text}
    </Text>
  );
}
