// `status`: what is installed and running. Each unit (containerd and every add-on unit):
// installed, enabled, active with PID and since-when. containerd's client and server
// versions, RootlessKit's version and the settings in effect (rootlessctl's API, else the
// running rootlesskit's command line), the socket, linger, and the configured snapshotters.
import { join } from "node:path";
import { parseTOML } from "confbox";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { CONTAINERD_UNIT, unitPath } from "../os/paths.ts";
import { isActive, isEnabled, isOwned, unitStates, type UnitState } from "../systemd/units.ts";
import { startLimitHit } from "../systemd/start-limit.ts";
import { serverVersion, serviceStateDir } from "../containerd/ready.ts";
import { rootlesskitInfo } from "../rootlesskit/api.ts";
import { parseVersion } from "../os/version.ts";
import { findProgram } from "../os/programs.ts";
import { plugins, type PluginStatus } from "../../plugins/registry.ts";

export interface UnitReport {
  name: string;
  installed: boolean;
  /** created by this tool (carries its marker) */
  ours: boolean;
  enabled: boolean;
  active: boolean;
  /** e.g. "active (running)", "inactive (dead)", "activating (auto-restart)" */
  state: string;
  pid: number | null;
  since: string | null;
  /** how systemd recorded the last run's end (Result=), e.g. "exit-code", "start-limit-hit" */
  result: string | null;
  /** times systemd restarted it since it was last started by hand (NRestarts=) */
  restarts: number;
  /** why it is down and how to bring it back, when systemd gave up on it (start-limit-hit) */
  failure: { reason: string; fix: string } | null;
}

export interface StatusReport {
  command: "status";
  units: UnitReport[];
  containerd: { client: string | null; server: string | null; socket: string; socketExists: boolean; answering: boolean };
  rootlesskit: {
    version: string | null;
    stateDir: string;
    settings: Record<string, string> | null;
    settingsSource: "rootlessctl" | "process" | null;
    /** the running rootlesskit's own flags (net, mtu, port-driver, detach-netns, ...) */
    flags: Record<string, string> | null;
  };
  linger: boolean;
  snapshotters: { builtin: string[]; proxy: { name: string; address: string | null; file: string }[]; default: string };
  addons: ({ id: string; title: string } & PluginStatus)[];
}

export function unitReport(name: string, fileText: string | null, s: UnitState): UnitReport {
  const installed = fileText !== null || s.loadState === "loaded";
  return {
    name,
    installed,
    ours: isOwned(fileText),
    enabled: isEnabled(s),
    active: isActive(s),
    state: `${s.activeState} (${s.subState})`,
    pid: s.mainPid > 0 ? s.mainPid : null,
    since: isActive(s) && s.activeSince ? s.activeSince : null,
    result: s.result || null,
    restarts: s.nRestarts,
    failure: startLimitHit(s) ?? null,
  };
}

/** `--flag=value` pairs of a rootlesskit command line (up to its child command). */
export function flagsFromCmdline(cmdline: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of cmdline.split("\0").slice(1)) {
    if (!arg.startsWith("--")) break;
    const eq = arg.indexOf("=");
    if (eq === -1) out[arg.slice(2)] = "true";
    else out[arg.slice(2, eq)] = arg.slice(eq + 1);
  }
  return out;
}

/** rootlessctl info --json: {"apiVersion":..,"networkDriver":{"driver":..,"dns":..},"portDriver":{"driver":..}} flattened. */
export function flattenInfo(info: unknown, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  if (info && typeof info === "object") {
    for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flattenInfo(v, key));
      else out[key] = Array.isArray(v) ? v.join(",") : String(v);
    }
  }
  return out;
}

type SettingsSeen = { settings: StatusReport["rootlesskit"]["settings"]; source: StatusReport["rootlesskit"]["settingsSource"] };

/**
 * `NAME --version` of the program the units run: looked up as they look it up (the active
 * bundle's bin first), not by the caller's PATH alone, which would report the distribution's
 * programs while the service runs the bundle's.
 */
async function programVersion(host: Host, name: string): Promise<string | null> {
  const path = await findProgram(host, name);
  const r = path ? await host.run([path, "--version"], { timeoutMs: 5000 }) : null;
  return r?.code === 0 ? parseVersion(r.stdout) : null;
}

async function processFlags(host: Host, mainPid: number): Promise<Record<string, string> | null> {
  if (mainPid <= 0) return null;
  const cmdline = await host.readText(`/proc/${mainPid}/cmdline`).catch(() => null);
  return cmdline && /rootlesskit/.test(cmdline.split("\0")[0]!) ? flagsFromCmdline(cmdline) : null;
}

/** RootlessKit's API (`GET /v1/info`, what `rootlessctl info --json` prints: source "rootlessctl"), else the running rootlesskit's flags. */
export async function rootlesskitSettings(host: Host, stateDir: string, flags: Record<string, string> | null): Promise<SettingsSeen> {
  const info = await rootlesskitInfo(host, stateDir);
  if (info) return { settings: flattenInfo(info), source: "rootlessctl" };
  return flags ? { settings: flags, source: "process" } : { settings: null, source: null };
}

/** Proxy snapshotters from config.toml and every conf.d drop-in; the default from nerdctl.toml. */
export async function configuredSnapshotters(host: Host, paths: Paths): Promise<StatusReport["snapshotters"]> {
  const files = [paths.containerdConfig, ...(((await host.readdir(paths.containerdConfD)) ?? []).filter((n) => n.endsWith(".toml")).sort().map((n) => join(paths.containerdConfD, n)))];
  const proxy: StatusReport["snapshotters"]["proxy"] = [];
  for (const file of files) {
    const text = await host.readText(file).catch(() => null);
    if (!text) continue;
    let doc: Record<string, unknown>;
    try {
      doc = parseTOML(text) as Record<string, unknown>;
    } catch {
      continue;
    }
    for (const [name, p] of Object.entries((doc.proxy_plugins ?? {}) as Record<string, { type?: string; address?: string }>)) {
      if (p?.type === "snapshot") proxy.push({ name, address: p.address ?? null, file });
    }
  }
  let def = "overlayfs";
  const nerdctl = await host.readText(paths.nerdctlConfig).catch(() => null);
  const m = nerdctl && /^\s*snapshotter\s*=\s*"([^"]+)"/m.exec(nerdctl);
  if (m) def = m[1]!;
  if (host.env.CONTAINERD_SNAPSHOTTER) def = host.env.CONTAINERD_SNAPSHOTTER;
  return { builtin: ["overlayfs", "native"], proxy, default: def };
}

export async function collectStatus(host: Host, paths: Paths): Promise<StatusReport> {
  const addonUnits = plugins().filter((p) => p.unit).map((p) => p.unit!);
  const names = [CONTAINERD_UNIT, ...addonUnits];
  const states = await unitStates(host, names);
  const texts = await Promise.all(names.map((n) => host.readText(unitPath(paths, n)).catch(() => null)));
  const units = names.map((n, i) => unitReport(n, texts[i]!, states[i]!));
  const containerd = states[0]!;
  const stateDir = await serviceStateDir(host, paths);
  const user = await host.userName().catch(() => "");
  const flags = isActive(containerd) ? await processFlags(host, containerd.mainPid) : null;
  const [client, rkVersion, server, rk, socketExists, linger, snapshotters] = await Promise.all([
    programVersion(host, "containerd"),
    programVersion(host, "rootlesskit"),
    isActive(containerd) ? serverVersion(host, paths) : Promise.resolve(null),
    isActive(containerd) ? rootlesskitSettings(host, stateDir, flags) : Promise.resolve<SettingsSeen>({ settings: null, source: null }),
    host.exists(paths.containerdSocket),
    user ? host.exists(`/var/lib/systemd/linger/${user}`) : Promise.resolve(false),
    configuredSnapshotters(host, paths),
  ]);
  const addons = [];
  for (const p of plugins()) {
    const st = await p.status({ host, paths }).catch((e) => ({ installed: false, detail: `status failed: ${(e as Error).message}` }));
    addons.push({ id: p.id, title: p.title, ...st });
  }
  return {
    command: "status",
    units,
    containerd: { client, server: server?.version ?? null, socket: paths.containerdSocket, socketExists, answering: server !== null },
    rootlesskit: { version: rkVersion, stateDir, settings: rk.settings, settingsSource: rk.source, flags },
    linger,
    snapshotters,
    addons,
  };
}
