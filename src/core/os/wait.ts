// Waiting for a condition: poll it until it holds, a failure reason appears, or the
// deadline passes, or `signal` is aborted (Ctrl+C: a wait changes nothing, so it need not
// finish). Never a fixed sleep. Progress is reported at most every `progressEveryMs`.
import type { Host } from "./host.ts";

export interface PollOptions {
  timeoutMs: number;
  everyMs?: number;
  /** a reason to give up early, checked every `failedEveryMs` from then on (a condition that holds at once never asks: the check may cost a process) */
  failed?: () => Promise<string | undefined>;
  failedEveryMs?: number;
  onProgress?: (elapsedMs: number) => void;
  progressEveryMs?: number;
  /** once aborted, stop waiting (outcome `cancelled`) */
  signal?: AbortSignal;
}

export type PollOutcome = { ok: true; ms: number } | { ok: false; ms: number; reason: string; cancelled?: true };

/**
 * CRS_WAIT_FACTOR=N makes every wait (and every time limit of a program run) N times longer: for machines many times slower than the
 * waits were made for (an emulator, a small board, a loaded CI machine), where containerd's
 * start alone can take longer than the 30 s a readiness wait allows.
 */
export function waitFactor(host: Pick<Host, "env">): number {
  const n = Number(host.env.CRS_WAIT_FACTOR ?? 1);
  return Number.isFinite(n) && n >= 1 ? n : 1;
}

export async function pollUntil(host: Host, ready: () => Promise<boolean>, opts: PollOptions): Promise<PollOutcome> {
  opts = { ...opts, timeoutMs: opts.timeoutMs * waitFactor(host) };
  const start = host.now();
  const every = opts.everyMs ?? 25;
  const failedEvery = opts.failedEveryMs ?? 200;
  const progressEvery = opts.progressEveryMs ?? 2000;
  let lastFailedCheck = 0;
  let lastProgress = 0;
  for (;;) {
    const elapsed = host.now() - start;
    if (opts.signal?.aborted) return { ok: false, ms: elapsed, reason: "cancelled", cancelled: true };
    if (await ready()) return { ok: true, ms: host.now() - start };
    if (opts.failed && elapsed - lastFailedCheck >= failedEvery) {
      lastFailedCheck = elapsed;
      const reason = await opts.failed();
      if (reason) return { ok: false, ms: host.now() - start, reason };
    }
    if (elapsed >= opts.timeoutMs) return { ok: false, ms: elapsed, reason: `timed out after ${(opts.timeoutMs / 1000).toFixed(0)} s` };
    if (opts.onProgress && elapsed - lastProgress >= progressEvery) {
      lastProgress = elapsed;
      opts.onProgress(elapsed);
    }
    await host.sleep(every);
  }
}

/** Resolves after `ms`, or at once when `cancel` aborts; the timer is cleared then, so it does not hold the process's exit. */
export function sleepUnlessAborted(ms: number, cancel: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      cancel.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (cancel.aborted) done();
    else cancel.addEventListener("abort", done);
  });
}
