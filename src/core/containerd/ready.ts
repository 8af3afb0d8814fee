// Is the rootless containerd answering? Its Version call, on its socket (api.ts): used by every
// wait after a start or restart (install, add-ons, apply, components, an undo) and by status.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { CONTAINERD_UNIT } from "../os/paths.ts";
import type { WaitStep } from "../plan/steps.ts";
import { containerdVersion, type ServerVersion } from "./api.ts";
import { serviceEnvironment, type ServiceEnvironmentOptions } from "../systemd/service-environment.ts";
import { startFailure, unitStates } from "../systemd/units.ts";
import { managerGone } from "../systemd/manager.ts";

/** The RootlessKit state dir the service uses: its environment's setting (serviceEnvironment), else the default. */
export async function serviceStateDir(host: Host, paths: Paths, opts: ServiceEnvironmentOptions = {}): Promise<string> {
  const dir = (await serviceEnvironment(host, paths, opts)).vars.CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR?.value;
  return dir && dir.startsWith("/") ? dir : paths.rootlesskitStateDir;
}

export type { ServerVersion } from "./api.ts";

/** containerd's version as it answers on its socket, or null when it does not answer. */
export async function serverVersion(host: Host, paths: Paths, timeoutMs = 2000): Promise<ServerVersion | null> {
  const r = await containerdVersion(host, paths.containerdSocket, timeoutMs);
  return r.ok ? r.server : null;
}

/**
 * The wait an undo that restarts containerd runs after the restart: containerd answered before
 * the run, so a rollback is done once it answers again. Without it the rollback ends while
 * RootlessKit is still starting.
 */
export function containerdBackStep(paths: Paths): WaitStep {
  return containerdReadyStep(paths);
}

/**
 * The readiness wait after start/restart: containerd answers its Version call on its socket
 * (a socket file alone, stale or served by something else, is not an answer). Gives up early
 * when systemd reports the unit failed or restarting; the last answer explains a timeout.
 */
export function containerdReadyStep(paths: Paths, timeoutMs = 30_000): WaitStep {
  let last = "not asked yet";
  return {
    kind: "wait",
    what: "the containerd API",
    timeoutMs,
    everyMs: 20,
    why: "a running unit or a socket file is not enough: containerd must answer a request",
    ready: async (host) => {
      const r = await containerdVersion(host, paths.containerdSocket, 2000);
      if (!r.ok) last = r.detail;
      return r.ok;
    },
    failed: async (host) => {
      // the user manager gone (logged out, stopped) is a failure too, said as such (install names it)
      const states = await unitStates(host, [CONTAINERD_UNIT]).catch((e: Error) => e);
      if (states instanceof Error) return (await managerGone(host, states.message)) ? states.message : undefined;
      return states[0] ? startFailure(states[0]) : undefined;
    },
    explain: async () => `last answer on ${paths.containerdSocket}: ${last}`,
  };
}
