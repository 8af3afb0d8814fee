// Every path the product reads or writes, derived from the environment in one place.
// XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_RUNTIME_DIR are respected; relative values are
// ignored as the XDG spec says (checks report them separately).
import { basename, join, isAbsolute } from "node:path";
import type { Env } from "./host.ts";

export const BINARY_NAME = "containerd-rootless-systemd";
export const CONTAINERD_UNIT = "containerd.service";

export interface Paths {
  home: string;
  configHome: string;
  dataHome: string;
  runtimeDir: string;
  /** ~/.config/systemd/user */
  unitDir: string;
  /** ~/.config/containerd: mounted on /etc/containerd inside the namespace */
  containerdConfigDir: string;
  containerdConfig: string;
  /** one drop-in per add-on, imported by config.toml through an absolute glob */
  containerdConfD: string;
  /** ~/.local/share/containerd: images, containers, snapshots (owned by sub-uids) */
  containerdData: string;
  cniData: string;
  /** $XDG_RUNTIME_DIR/containerd: mounted on /run/containerd inside the namespace */
  containerdRunDir: string;
  containerdSocket: string;
  /** default RootlessKit state dir */
  rootlesskitStateDir: string;
  nerdctlConfig: string;
  buildkitConfig: string;
  /** where install copies this binary so the unit survives a deleted download */
  installedBinary: string;
  /** our own state: lock and backups */
  stateDir: string;
  lockFile: string;
  backupDir: string;
}

function absOr(value: string | undefined, fallback: string): string {
  return value && isAbsolute(value) ? value : fallback;
}

export function resolvePaths(env: Env, uid: number): Paths {
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : `/nonexistent-home-${uid}`;
  const configHome = absOr(env.XDG_CONFIG_HOME, join(home, ".config"));
  const dataHome = absOr(env.XDG_DATA_HOME, join(home, ".local/share"));
  const runtimeDir = absOr(env.XDG_RUNTIME_DIR, `/run/user/${uid}`);
  const containerdConfigDir = join(configHome, "containerd");
  const containerdRunDir = join(runtimeDir, "containerd");
  const stateDir = join(dataHome, BINARY_NAME);
  return {
    home,
    configHome,
    dataHome,
    runtimeDir,
    unitDir: join(configHome, "systemd/user"),
    containerdConfigDir,
    containerdConfig: join(containerdConfigDir, "config.toml"),
    containerdConfD: join(containerdConfigDir, "conf.d"),
    containerdData: join(dataHome, "containerd"),
    cniData: join(dataHome, "cni"),
    containerdRunDir,
    containerdSocket: join(containerdRunDir, "containerd.sock"),
    rootlesskitStateDir: join(runtimeDir, "containerd-rootless"),
    nerdctlConfig: join(configHome, "nerdctl/nerdctl.toml"),
    buildkitConfig: join(configHome, "buildkit/buildkitd.toml"),
    installedBinary: join(home, ".local/bin", BINARY_NAME),
    stateDir,
    lockFile: join(runtimeDir, `${BINARY_NAME}.lock`),
    backupDir: join(stateDir, "backups"),
  };
}

export function unitPath(paths: Paths, unit: string): string {
  return join(paths.unitDir, unit);
}

/** The link `systemctl --user enable` makes for a unit WantedBy=default.target (pointing at unitPath). */
export function wantsLinkPath(paths: Paths, unit: string): string {
  return join(paths.unitDir, "default.target.wants", unit);
}

export function dropInPath(paths: Paths, unit: string, name = "override.conf"): string {
  return join(paths.unitDir, `${unit}.d`, name);
}

const issued = new Set<string>();

/**
 * Where the old content of `file` is kept (the one naming of backups: the backup directory,
 * the file's name and the time). Unique in this run: one plan may back up the same file twice
 * within a millisecond (two snapshotters set nerdctl.toml in turn), and the second backup
 * must not overwrite the first, which holds the user's original.
 */
export function backupPath(paths: Paths, file: string): string {
  const base = join(paths.backupDir, `${basename(file)}.${new Date().toISOString().replace(/[:.]/g, "-")}`);
  let path = base;
  for (let n = 1; issued.has(path); n++) path = `${base}.${n}`;
  issued.add(path);
  return path;
}

/** The planned config a run checks with `containerd config dump`, beside the user's config.toml: `.crs-validate-PID.toml` and `.d` (containerd/proxy-plugins.ts). */
export const validationTag = (pid: number) => `.crs-validate-${pid}`;
/** Those files (and the temporary files of their writes) by name: the pid of the run that made them. */
export const VALIDATION_LEFTOVER = /^\.{1,2}crs-validate-(\d+)[.]/;
