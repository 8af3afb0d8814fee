// Is the rootless containerd answering? First its socket must appear, then a real request
// through the RootlessKit namespace must succeed (`ctr version` via nsenter). Used as the
// install's readiness wait and by status for the server version.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { CONTAINERD_UNIT } from "../os/paths.ts";
import type { WaitStep } from "../plan/steps.ts";
import { nsenterArgv } from "../rootlesskit/nsenter.ts";
import { serviceEnvironment, type ServiceEnvironmentOptions } from "../systemd/service-environment.ts";
import { managerGone, startFailure, unitStates } from "../systemd/units.ts";

/** The RootlessKit state dir the service uses: its environment's setting (serviceEnvironment), else the default. */
export async function serviceStateDir(host: Host, paths: Paths, opts: ServiceEnvironmentOptions = {}): Promise<string> {
  const dir = (await serviceEnvironment(host, paths, opts)).vars.CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR?.value;
  return dir && dir.startsWith("/") ? dir : paths.rootlesskitStateDir;
}

export interface ServerVersion {
  version: string;
  revision?: string;
}

/** `ctr version` through the namespace: the server's version, or null when it does not answer. */
export async function serverVersion(host: Host, paths: Paths, stateDir: string, timeoutMs = 5000): Promise<ServerVersion | null> {
  if (!(await host.exists(paths.containerdSocket))) return null;
  const ctr = await host.which("ctr");
  if (!ctr) return null;
  const ns = await nsenterArgv(host, paths, [ctr, "--address", paths.containerdSocket, "version"], stateDir).catch(() => null);
  if (!ns) return null;
  const r = await host.run(ns.argv, { env: ns.env, timeoutMs });
  if (r.code !== 0) return null;
  const server = r.stdout.split(/^Server:/m)[1];
  const version = server && /Version:\s*(\S+)/.exec(server)?.[1];
  return version ? { version, revision: /Revision:\s*(\S+)/.exec(server!)?.[1] } : null;
}

/**
 * The wait an undo that restarts containerd runs after the restart: containerd answered before
 * the run, so a rollback is done once it answers again (with the restored settings' state dir,
 * read when the undo runs). Without it the rollback ends while RootlessKit is still starting.
 */
export function containerdBackStep(paths: Paths): WaitStep {
  return containerdReadyStep(paths, (h) => serviceStateDir(h, paths));
}

/**
 * The readiness wait after start/restart: the socket, then `ctr version` through nsenter.
 * Gives up early when systemd reports the unit failed or restarting. Without `ctr` on PATH
 * the socket alone counts.
 */
export function containerdReadyStep(paths: Paths, stateDir: string | ((host: Host) => Promise<string>), timeoutMs = 30_000): WaitStep {
  // a function: the state dir is read only if the wait runs (an uninstall's undo, rarely)
  let dir: Promise<string> | undefined;
  const resolveDir = (host: Host) => (typeof stateDir === "string" ? stateDir : (dir ??= stateDir(host)));
  return {
    kind: "wait",
    what: "the containerd API",
    timeoutMs,
    everyMs: 20,
    why: "a running unit is not enough: containerd must answer a request inside the namespace",
    ready: async (host) => {
      if (!(await host.exists(paths.containerdSocket))) return false;
      if (!(await host.which("ctr"))) return true;
      return (await serverVersion(host, paths, await resolveDir(host), 3000)) !== null;
    },
    failed: async (host) => {
      // the user manager gone (logged out, stopped) is a failure too, said as such (install names it)
      const states = await unitStates(host, [CONTAINERD_UNIT]).catch((e: Error) => e);
      if (states instanceof Error) return managerGone(states.message) ? states.message : undefined;
      return states[0] ? startFailure(states[0]) : undefined;
    },
  };
}
