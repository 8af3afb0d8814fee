// BuildKit facts that `check` and the BuildKit add-on share: buildkitd's version, whether it
// has bridge networking (BuildKit >= 0.13), and where that networking finds its CNI plugins.
//
// BuildKit v0.26.3 (moby/buildkit util/network/cniprovider/bridge.go, NewBridge), for
// `--oci-worker-net=bridge` or `--containerd-worker-net=bridge`: first buildkit-cni-bridge,
// -loopback, -host-local and -firewall on buildkitd's PATH (upstream's release tarball ships them
// beside buildkitd); else `bridge` in its CNI binary directory, whose loopback, host-local and
// firewall its bridge network runs too. That directory is --oci-cni-binary-dir or
// --containerd-cni-binary-dir (cmd/buildkitd/main_oci_worker.go, main_containerd_worker.go),
// by default /opt/cni/bin (cmd/buildkitd/main.go: appdefaults.DefaultCNIBinDir). With neither,
// buildkitd exits at once: `failed to find CNI bridge "/opt/cni/bin/bridge" or buildkit-cni-bridge`.
import { dirname, join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { findProgram } from "../os/programs.ts";
import { parseVersion } from "../os/version.ts";
import { currentLink } from "../components/store.ts";

export interface BuildkitFacts {
  path: string | null;
  version: string | null;
  /** `buildkitd --help` mentions bridge networking (BuildKit >= 0.13) */
  bridge: boolean;
}

export async function buildkitFacts(host: Host): Promise<BuildkitFacts> {
  const path = await findProgram(host, "buildkitd");
  if (!path) return { path, version: null, bridge: false };
  const [v, help] = await Promise.all([host.run([path, "--version"], { timeoutMs: 10_000 }), host.run([path, "--help"], { timeoutMs: 10_000 })]);
  return { path, version: v.code === 0 ? parseVersion(v.stdout) : null, bridge: /bridge/.test(help.stdout + help.stderr) };
}

/** The CNI plugins BuildKit's bridge network runs. */
export const BUILDKIT_CNI_PLUGINS = ["bridge", "loopback", "host-local", "firewall"] as const;

/** Where BuildKit's bridge networking finds its CNI plugins: `prefixed`, buildkit-cni-* in `dir` beside buildkitd (on the unit's PATH); else `dir` is its CNI binary directory. */
export interface BuildkitCni {
  dir: string;
  prefixed: boolean;
}

/** The directories looked in, in order: the active nerdctl-full bundle's libexec/cni, Debian's containernetworking-plugins, BuildKit's default. */
export const cniDirs = (paths: Paths) => [join(currentLink(paths), "libexec/cni"), "/usr/lib/cni", "/opt/cni/bin"];

/** An executable file (through a symbolic link too, as exec.LookPath and exec follow them). */
async function executable(host: Host, path: string): Promise<boolean> {
  const real = (await host.stat(path).catch(() => null))?.isSymlink ? await host.realpath(path).catch(() => null) : path;
  return Boolean(real && (await host.stat(real).catch(() => null))?.isFile && (await host.canAccess(real, "x")));
}

async function all(host: Host, dir: string, names: readonly string[]): Promise<boolean> {
  return (await Promise.all(names.map((n) => executable(host, join(dir, n))))).every(Boolean);
}

/** The first place with every plugin BuildKit's bridge network runs, or null. */
export async function findBuildkitCni(host: Host, paths: Paths, buildkitd: string): Promise<BuildkitCni | null> {
  const beside = dirname(buildkitd);
  if (await all(host, beside, BUILDKIT_CNI_PLUGINS.map((p) => `buildkit-cni-${p}`))) return { dir: beside, prefixed: true };
  for (const dir of cniDirs(paths)) if (await all(host, dir, BUILDKIT_CNI_PLUGINS)) return { dir, prefixed: false };
  return null;
}

/** What to say when none is found: the message and the fix (the package, or where to put them). */
export function buildkitCniMissing(paths: Paths, buildkitd: string): { message: string; fix: string } {
  return {
    message: `BuildKit's bridge networking (buildkitd ${buildkitd}) needs the CNI plugins ${BUILDKIT_CNI_PLUGINS.join(", ")}, found in none of: buildkit-cni-* beside buildkitd, ${cniDirs(paths).join(", ")}; buildkitd would exit at once ("failed to find CNI bridge")`,
    fix: "Install them: Debian/Ubuntu `sudo apt-get install containernetworking-plugins` (into /usr/lib/cni), or use the nerdctl-full bundle (`containerd-rootless-systemd components install`), or put upstream's buildkit-cni-* beside buildkitd.",
  };
}
