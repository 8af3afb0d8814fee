// What every probe receives: the host, the paths, who we are, and memoised look-ups that
// several probes share (a tool's path and version, os-release, linger) so each file is read
// and each process is spawned once per run, even when probes run concurrently.
import { HostError, type Host, type RunResult } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import type { Finding } from "./findings.ts";
import { parseVersion } from "../os/version.ts";
import type { FactsPart } from "./facts.ts";
import { probeRootlessKitHelp } from "../rootlesskit/facts.ts";

export interface CheckOptions {
  /** run the real RootlessKit smoke test and overlay mount (default true) */
  smokeTest?: boolean;
  /** `systemctl --user show-environment`, when the caller already started it (install reads it for its plan too) */
  showEnvironment?: Promise<RunResult>;
}

export interface CheckContext {
  host: Host;
  paths: Paths;
  user: string;
  uid: number;
  opts: CheckOptions;
  memo<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface ProbeResult {
  findings: Finding[];
  facts?: FactsPart;
}

export interface Tool {
  path: string;
  /** X.Y.Z, or null when --version said nothing we understand */
  version: string | null;
  /** the raw --version output (first line) */
  versionText: string;
}

export function createContext(host: Host, paths: Paths, user: string, opts: CheckOptions = {}): CheckContext {
  const cache = new Map<string, Promise<unknown>>();
  return {
    host,
    paths,
    user,
    uid: host.uid,
    opts,
    memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
      let p = cache.get(key) as Promise<T> | undefined;
      if (!p) {
        p = fn();
        cache.set(key, p);
      }
      return p;
    },
  };
}

/** Tools in sbin directories (runc, getcap) are not on an unprivileged user's PATH on Debian. */
const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** The path of a program on the user's PATH or in an sbin directory, or null. */
export function findTool(ctx: CheckContext, name: string): Promise<string | null> {
  return ctx.memo(`which:${name}`, async () => {
    const found = await ctx.host.which(name).catch(() => null);
    if (found) return found;
    for (const dir of SBIN) {
      const p = await ctx.host.which(`${dir}/${name}`).catch(() => null);
      if (p) return p;
    }
    return null;
  });
}

/** `rootlesskit --help`, once per check: the network-driver probe parses it, and its VERSION section is RootlessKit's version. */
export function rootlessKitHelp(ctx: CheckContext): ReturnType<typeof probeRootlessKitHelp> {
  return ctx.memo("rootlesskit-help", () => probeRootlessKitHelp(ctx.host));
}

/**
 * A tool with its version (one `--version` run per tool per check), or null when missing.
 * RootlessKit's comes from the --help the check runs anyway (a process fewer), when it is the same program.
 */
export function findToolVersion(ctx: CheckContext, name: string, args = ["--version"]): Promise<Tool | null> {
  return ctx.memo(`version:${name}`, async () => {
    const path = await findTool(ctx, name);
    if (!path) return null;
    if (name === "rootlesskit" && args.join(" ") === "--version") {
      const help = await rootlessKitHelp(ctx);
      if (help.rootlesskit === path && help.version) return { path, version: help.version, versionText: `rootlesskit version ${help.version}` };
    }
    const r = await ctx.host.run([path, ...args], { timeoutMs: 5000 });
    const text = `${r.stdout}\n${r.stderr}`.trim();
    return { path, version: r.code === 0 ? parseVersion(text) : null, versionText: text.split("\n")[0] ?? "" };
  });
}

export type ReadResult = { text: string | null; error?: undefined } | { text: null; error: string };

/** Reads a file; a failure other than "missing" is returned as text for a finding, never thrown. */
export function readSafe(ctx: CheckContext, path: string): Promise<ReadResult> {
  return ctx.memo(`read:${path}`, async () => {
    try {
      return { text: await ctx.host.readText(path) };
    } catch (e) {
      return { text: null, error: e instanceof HostError ? e.message : `cannot read ${path}: ${String(e)}` };
    }
  });
}

/** Whether a path exists; an unreadable parent counts as "no". */
export function existsSafe(ctx: CheckContext, path: string): Promise<boolean> {
  return ctx.memo(`exists:${path}`, () => ctx.host.exists(path).catch(() => false));
}

export function lingerEnabled(ctx: CheckContext): Promise<boolean> {
  return existsSafe(ctx, `/var/lib/systemd/linger/${ctx.user}`);
}
