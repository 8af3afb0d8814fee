// Download progress: the figures (bytes, total, percentage, rate, ETA) worked out once, for
// the headless line and the UI's bar alike. On a terminal one line (bytes, rate, ETA)
// rewritten in place on stderr; without a terminal nothing until the final summary line.
import type { Host } from "../os/host.ts";
import type { Progress } from "./download.ts";

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const rate = (bytes: number, ms: number) => (ms > 0 ? bytes / 1e6 / (ms / 1000) : 0);
/** Before this much of the transfer, the rate is noise (the first chunks arrive in a burst: "768 MB/s, ETA 1 s"): not shown. */
export const RATE_AFTER_MS = 500;

/** One progress event in words: what the headless line prints and the UI's bar shows. */
export interface ProgressFigures {
  /** "12.3 MB" */
  done: string;
  /** "45.0 MB", or null when the server sent no length */
  total: string | null;
  /** 0..1, or null without a total */
  fraction: number | null;
  /** whole percent, or null without a total */
  percent: number | null;
  /** "3.2 MB/s", or null in the transfer's first half second */
  rate: string | null;
  /** "ETA 11 s", or null without a total or a rate */
  eta: string | null;
}

export function progressFigures(p: Progress): ProgressFigures {
  const r = p.ms >= RATE_AFTER_MS ? rate(p.bytes, p.ms) : 0;
  const fraction = p.total ? Math.min(1, p.bytes / p.total) : null;
  return {
    done: mb(p.bytes),
    total: p.total ? mb(p.total) : null,
    fraction,
    percent: p.total ? Math.floor((100 * p.bytes) / p.total) : null,
    rate: p.ms >= RATE_AFTER_MS ? `${r.toFixed(1)} MB/s` : null,
    eta: p.total && r > 0 ? `ETA ${Math.max(0, Math.ceil((p.total - p.bytes) / 1e6 / r))} s` : null,
  };
}

export function progressLine(p: Progress): string {
  const f = progressFigures(p);
  return `${f.done}${f.total ? ` / ${f.total} (${f.percent}%)` : ""}${f.rate ? `  ${f.rate}` : ""}${f.eta ? ` ${f.eta}` : ""}`;
}

export function summaryLine(bytes: number, ms: number): string {
  return `${mb(bytes)} in ${(ms / 1000).toFixed(1)} s (${rate(bytes, ms).toFixed(1)} MB/s)`;
}

/** `onProgress` called at most every `everyMs` of the transfer's own clock, and always for the last byte. */
export function throttled(onProgress: (p: Progress) => void, everyMs = 100): (p: Progress) => void {
  let last = -Infinity;
  return (p) => {
    if (p.ms - last < everyMs && p.bytes !== p.total) return;
    last = p.ms;
    onProgress(p);
  };
}

/** onProgress for downloadToFile, and `done` which clears the live line. */
export function terminalProgress(host: Host, label: string, json: boolean): { onProgress?: (p: Progress) => void; done: () => void } {
  if (json || !host.stderrIsTTY) return { done: () => {} };
  let shown = false;
  return {
    onProgress: throttled((p) => {
      shown = true;
      host.writeErr(`\r\x1b[K${label} ${progressLine(p)}`);
    }),
    done: () => shown && host.writeErr("\r\x1b[K"),
  };
}
