// Waiting for rootless containerd's namespace before entering it. Add-on units start right
// after containerd.service (Type=simple: "started" as soon as the launcher runs), before
// RootlessKit has written child_pid and containerd serves its socket; `nsenter --wait=SECONDS`
// (what the add-on units run) waits for both instead of failing and crash-looping.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { nsenterArgv, type NsenterCommand } from "./nsenter.ts";
import { UsageError, UserError } from "../os/errors.ts";
import { pollUntil } from "../os/wait.ts";
import { containerdVersion } from "../containerd/api.ts";

/** The nsenter command once the namespace exists and containerd answers its Version call. */
export async function nsenterWhenReady(host: Host, paths: Paths, cmd: string[], stateDir: string, timeoutMs: number): Promise<NsenterCommand> {
  let last: unknown;
  let ns: NsenterCommand | null = null;
  const outcome = await pollUntil(
    host,
    async () => {
      ns = await nsenterArgv(host, paths, cmd, stateDir).catch((e) => {
        last = e;
        return null;
      });
      return ns !== null && (await containerdVersion(host, paths.containerdSocket)).ok;
    },
    { timeoutMs, everyMs: 50 },
  );
  if (outcome.ok && ns) return ns;
  if (last instanceof UserError) throw new UserError(`${last.message}; waited ${Math.round(timeoutMs / 1000)} s`, last.fix);
  throw new UserError(`containerd does not answer on ${paths.containerdSocket} (waited ${Math.round(timeoutMs / 1000)} s)`, "See `systemctl --user status containerd.service`.");
}

/** The `--wait` value in milliseconds (undefined when absent). */
export function waitOption(value: string | boolean | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  const s = value === true || value === "" ? 60 : Number(value);
  if (!Number.isFinite(s) || s < 0) throw new UsageError(`invalid --wait=${String(value)}`, "Give the number of seconds, e.g. --wait=60.");
  return s * 1000;
}
