// Download progress: on a terminal one line (bytes, rate, ETA) rewritten in place on stderr;
// without a terminal nothing until the final summary line.
import type { Host } from "../os/host.ts";
import type { Progress } from "./download.ts";

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const rate = (bytes: number, ms: number) => (ms > 0 ? bytes / 1e6 / (ms / 1000) : 0);

export function progressLine(p: Progress): string {
  const r = rate(p.bytes, p.ms);
  const eta = p.total && r > 0 ? ` ETA ${Math.max(0, Math.ceil((p.total - p.bytes) / 1e6 / r))} s` : "";
  return `${mb(p.bytes)}${p.total ? ` / ${mb(p.total)} (${Math.floor((100 * p.bytes) / p.total)}%)` : ""}  ${r.toFixed(1)} MB/s${eta}`;
}

export function summaryLine(bytes: number, ms: number): string {
  return `${mb(bytes)} in ${(ms / 1000).toFixed(1)} s (${rate(bytes, ms).toFixed(1)} MB/s)`;
}

/** onProgress for downloadToFile, and `done` which clears the live line. */
export function terminalProgress(host: Host, label: string, json: boolean): { onProgress?: (p: Progress) => void; done: () => void } {
  if (json || !host.stderrIsTTY) return { done: () => {} };
  let last = -Infinity;
  let shown = false;
  return {
    onProgress: (p) => {
      if (p.ms - last < 100 && p.bytes !== p.total) return;
      last = p.ms;
      shown = true;
      host.writeErr(`\r\x1b[K${label} ${progressLine(p)}`);
    },
    done: () => shown && host.writeErr("\r\x1b[K"),
  };
}
