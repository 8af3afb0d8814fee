// Which program the service and the add-ons would run, where it lives, its version, and
// where it came from: this tool's bundle, a distribution package (dpkg -S / rpm -qf), or
// something else on PATH. The search order is the units' PATH (the active bundle first).
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { containerdServicePath } from "../systemd/service-path.ts";
import { activeVersion, componentsDir, currentBin, currentLink } from "./store.ts";

/** Every program the service and the add-ons use. */
export const PROGRAMS = ["containerd", "containerd-shim-runc-v2", "ctr", "runc", "rootlesskit", "rootlessctl", "slirp4netns", "nerdctl", "buildkitd", "buildctl", "containerd-stargz-grpc", "containerd-fuse-overlayfs-grpc", "bypass4netnsd"];
/** Where CNI plugins are looked for, after the bundle's libexec/cni. */
const CNI_DIRS = ["/opt/cni/bin", "/usr/local/libexec/cni", "/usr/libexec/cni", "/usr/lib/cni"];

export type Origin = "bundle" | "distribution" | "path" | "missing";

export interface ProgramInfo {
  name: string;
  path: string | null;
  version: string | null;
  origin: Origin;
  /** the distribution package that owns it */
  package?: string;
}

/** The directories the units search, in order: the active bundle's bin first (when one is active). */
export async function preferredBinDirs(host: Host, paths: Paths): Promise<string[]> {
  return (await activeVersion(host, paths)) ? [currentBin(paths)] : [];
}

/** The units' PATH (the bundle first), then the user's own PATH: where each program would come from. */
export async function unitSearchPath(host: Host, paths: Paths): Promise<string[]> {
  const unit = (await containerdServicePath(host, paths, await preferredBinDirs(host, paths))).split(":");
  return [...new Set([...unit, ...(host.env.PATH ?? "").split(":").filter((d) => d.startsWith("/"))])];
}

/** The first executable `name` in `dirs`, in order; null when none has it. */
export async function findIn(host: Host, name: string, dirs: readonly string[]): Promise<string | null> {
  for (const d of dirs) {
    const p = join(d, name);
    const st = await host.stat(p).catch(() => null);
    if (st && !st.isDirectory && (await host.canAccess(p, "x"))) return p;
  }
  return null;
}

async function versionOf(host: Host, path: string, cni: boolean): Promise<string | null> {
  // the shim knows -v only; a CNI plugin run without CNI_COMMAND prints "CNI bridge plugin v1.4.0"
  const flag = cni ? [] : path.endsWith("containerd-shim-runc-v2") ? ["-v"] : ["--version"];
  const r = await host.run([path, ...flag], { timeoutMs: 5000 }).catch(() => null);
  const text = `${r?.stdout ?? ""}\n${r?.stderr ?? ""}`;
  if (cni) return /CNI \w+ plugin (?:version )?v?(\d\S*)/.exec(text)?.[1] ?? (/CNI \w+ plugin/.test(text) ? "unknown" : null);
  return /\bv?(\d+\.\d+(?:\.\d+)?(?:[-~+][\w.~+-]*)?)/.exec(text)?.[1] ?? null;
}

/** dpkg -S (or rpm -qf) for each path at once: path -> package. */
async function owners(host: Host, files: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!files.length) return out;
  const r = await host.run(["dpkg", "-S", ...files], { timeoutMs: 10_000 });
  for (const line of r.stdout.split("\n")) {
    const m = /^([^:]+(?::\w+)?): (\/.*)$/.exec(line.trim());
    if (m) for (const f of files) if (f === m[2] || f.endsWith(m[2]!)) out.set(f, m[1]!.replace(/:\w+$/, ""));
  }
  if (r.code === 127) {
    for (const f of files) {
      const q = await host.run(["rpm", "-qf", "--qf", "%{NAME}", f], { timeoutMs: 10_000 });
      if (q.code === 0 && q.stdout.trim()) out.set(f, q.stdout.trim());
    }
  }
  return out;
}

export async function inventory(host: Host, paths: Paths): Promise<ProgramInfo[]> {
  const dirs = await unitSearchPath(host, paths);
  const active = await activeVersion(host, paths);
  const cniDirs = [...(active ? [join(currentLink(paths), "libexec/cni")] : []), ...CNI_DIRS];
  const found: [string, string | null, boolean][] = [];
  for (const name of PROGRAMS) found.push([name, await findIn(host, name, dirs), false]);
  found.push(["CNI plugins (bridge)", await findIn(host, "bridge", cniDirs), true]);
  const inBundle = (p: string) => p.startsWith(componentsDir(paths) + "/");
  // dpkg knows /usr/sbin/runc, not /sbin/runc through the merged-/usr symlink: ask for the real path
  const reals = new Map<string, string>();
  for (const [, p] of found) if (p && !inBundle(p)) reals.set(p, (await host.realpath(p)) ?? p);
  const pkgs = await owners(host, [...new Set(reals.values())]);
  const out: ProgramInfo[] = [];
  for (const [name, path, cni] of found) {
    if (!path) {
      out.push({ name, path: null, version: null, origin: "missing" });
      continue;
    }
    const real = (await host.realpath(path)) ?? path;
    const pkg = pkgs.get(reals.get(path) ?? path);
    out.push({ name, path: inBundle(path) ? real : path, version: await versionOf(host, path, cni), origin: inBundle(path) ? "bundle" : pkg ? "distribution" : "path", ...(pkg ? { package: pkg } : {}) });
  }
  return out;
}
