// Where bundles live and which one is active:
//   ~/.local/share/containerd-rootless-systemd/components/<version>/   one unpacked bundle
//   ~/.local/share/containerd-rootless-systemd/components/current      symlink -> <version>
// The units' PATH names current/bin, so switching versions is one atomic rename of the
// symlink (and a restart); nothing in the unit files changes.
import { basename, dirname, join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";

export const componentsDir = (paths: Paths) => join(paths.stateDir, "components");
export const versionDir = (paths: Paths, version: string) => join(componentsDir(paths), version);
export const currentLink = (paths: Paths) => join(componentsDir(paths), "current");
/** The directory the units put first on PATH while a bundle is active. */
export const currentBin = (paths: Paths) => join(currentLink(paths), "bin");
/**
 * Where this tool puts programs, looked in first (before the caller's PATH) for every program it
 * looks up, in the order the units' PATH has them: the active bundle's bin, then ~/.local/bin (its
 * own copy's directory, where its hints tell users to put add-on programs). A fresh account, `su -`
 * or a script whose PATH lacks them finds what the service will run.
 */
export const toolBinDirs = (paths: Paths) => [currentBin(paths), dirname(paths.installedBinary)];
export const metaFile = (dir: string) => join(dir, ".containerd-rootless-systemd.json");

export interface BundleMeta {
  version: string;
  sha256: string;
  source: string;
  installedAt: string;
}

/** The active version, or null when no bundle is active. */
export async function activeVersion(host: Host, paths: Paths): Promise<string | null> {
  const target = await host.readlink(currentLink(paths));
  return target && (await host.exists(versionDir(paths, basename(target)))) ? basename(target) : null;
}

/** The unpacked versions, oldest name first. */
export async function installedVersions(host: Host, paths: Paths): Promise<string[]> {
  const names = (await host.readdir(componentsDir(paths))) ?? [];
  const out: string[] = [];
  for (const n of names) if (!n.startsWith(".") && n !== "current" && (await host.exists(metaFile(versionDir(paths, n))))) out.push(n);
  return out.sort();
}

export async function readMeta(host: Host, paths: Paths, version: string): Promise<BundleMeta | null> {
  const text = await host.readText(metaFile(versionDir(paths, version)));
  return text ? (JSON.parse(text) as BundleMeta) : null;
}

/** Points `current` at `version` atomically (a new symlink renamed over the old one). */
export async function activate(host: Host, paths: Paths, version: string): Promise<void> {
  const tmp = join(componentsDir(paths), `.current.${host.pid}`);
  await host.remove(tmp);
  await host.symlink(version, tmp);
  await host.rename(tmp, currentLink(paths));
}

/** Removes the `current` link (no bundle active). */
export async function deactivate(host: Host, paths: Paths): Promise<void> {
  await host.remove(currentLink(paths));
}
