// The PATH a unit gets: computed from where the programs it runs were found, plus the standard
// directories, never copied from the caller. So `install --yes` from cron's minimal PATH, from
// Ansible or from another shell writes the same unit, and a running containerd is not restarted
// for a PATH nobody meant to change. `preferred` directories (e.g. an active component bundle's
// bin directory) come first.
import { dirname } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { findProgram, STANDARD_DIRS } from "../os/programs.ts";

/** preferred dirs, then the other dirs programs were found in (in the order given), then the standard dirs; no duplicates. */
export function servicePath(programDirs: readonly string[], preferred: readonly string[] = []): string {
  const standard = new Set<string>(STANDARD_DIRS);
  const own = programDirs.filter((d) => d && d.startsWith("/") && !standard.has(d));
  return [...new Set([...preferred.filter((d) => d.startsWith("/")), ...own, ...STANDARD_DIRS])].join(":");
}

/** What containerd.service runs, directly or through RootlessKit and containerd (shims, runtimes, network helpers, nsenter). */
export const CONTAINERD_SERVICE_PROGRAMS = [
  "rootlesskit",
  "slirp4netns",
  "vpnkit",
  "pasta",
  "pesto",
  "containerd",
  "containerd-shim-runc-v2",
  "runc",
  "crun",
  "newuidmap",
  "newgidmap",
  "nsenter",
  "mount",
] as const;

/** The directories of the given programs, where they are found (PATH, then the standard dirs). */
export async function programDirs(host: Host, programs: readonly string[]): Promise<string[]> {
  const found = await Promise.all(programs.map((p) => findProgram(host, p)));
  return found.filter((p): p is string => p !== null).map((p) => dirname(p));
}

/** containerd.service's PATH: this tool's own directory, the programs the service runs, the standard dirs. */
export async function containerdServicePath(host: Host, paths: Paths, preferred: readonly string[] = []): Promise<string> {
  return servicePath([dirname(paths.installedBinary), ...(await programDirs(host, CONTAINERD_SERVICE_PROGRAMS))], preferred);
}
