// Before the first change: every copy in the plan (the 100 MB binary) must fit on its
// filesystem, so a full disk stops the run with nothing changed instead of failing halfway.
// Free space comes from statfs(2) as `stat -f` reports it (through the Host, so a test host
// answers it); when it cannot be learned, the copy's own failure still rolls back. A copy
// already staged in full beside its target (staging.ts) has taken its space: not asked again.
import { dirname } from "node:path";
import type { Host } from "../os/host.ts";
import { UserError } from "../os/errors.ts";
import type { Step } from "./steps.ts";
import { stagedComplete } from "./staging.ts";

/** Room to spare beyond the copy itself (the filesystem's own bookkeeping, a unit file or two). */
const SLACK = 1 << 20;

/** Bytes available to an unprivileged user on the filesystem holding `path` (its nearest existing ancestor), or null when unknown. */
export async function freeBytes(host: Host, path: string): Promise<{ dir: string; bytes: number } | null> {
  let dir = path;
  while (dir !== "/" && !(await host.exists(dir))) dir = dirname(dir);
  const r = await host.run(["stat", "-f", "-c", "%a %S", host.path(dir)], { timeoutMs: 5000 }).catch(() => null);
  const [avail, size] = (r?.code === 0 ? r.stdout.trim().split(/\s+/) : []).map(Number);
  return avail !== undefined && size !== undefined && Number.isFinite(avail) && Number.isFinite(size) ? { dir, bytes: avail * size } : null;
}

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

/** Throws UserError (nothing changed) when a copy in `steps` would not fit. */
export async function preflightSpace(host: Host, steps: readonly Step[]): Promise<void> {
  for (const [i, step] of steps.entries()) {
    if (step.kind !== "copy") continue;
    const src = await host.stat(step.from);
    if (!src) continue; // the copy reports a missing source itself
    const old = await host.stat(step.path);
    if (old && old.size === src.size && (await host.sameSizeAndMtime(step.from, step.path))) continue; // unchanged: nothing to write
    // already copied beside its target while the checks ran (staging.ts): the step only renames it, no `stat -f` process
    if (await stagedComplete(host, step.from, step.path, step.mode ?? 0o755)) continue;
    const free = await freeBytes(host, dirname(step.path));
    if (free && free.bytes < src.size + SLACK) {
      throw new UserError(
        `step ${i + 1} (copy ${step.from} to ${step.path}) would not fit: it needs ${mb(src.size + SLACK)} and ${free.dir} has ${mb(free.bytes)} free. Nothing was changed.`,
        `Free some space on the filesystem holding ${free.dir} and run this again.`,
      );
    }
  }
}
