// The launcher's first hop, outside the namespace: check the user and directories, read
// the CONTAINERD_ROOTLESS_ROOTLESSKIT_* variables, resolve defaults against the installed
// RootlessKit, and build `rootlesskit <flags> <this binary> launch` for execve.
import { isAbsolute } from "node:path";
import type { Host } from "../core/os/host.ts";
import type { Paths } from "../core/os/paths.ts";
import { UserError } from "../core/os/errors.ts";
import { parseSettings, rawSettingsFromEnv } from "../core/rootlesskit/settings.ts";
import { probeRootlessKitFacts, type RootlessKitFacts } from "../core/rootlesskit/facts.ts";
import { resolveSettings, rootlesskitArgv, type ResolvedSettings } from "../core/rootlesskit/resolve.ts";

/** Set in the child's environment: "you are inside RootlessKit, do the child's part". */
export const CHILD_MARKER = "_CONTAINERD_ROOTLESS_CHILD";
/** Set to "1" when `selinuxenabled` succeeded outside (it is always false inside). */
export const SELINUX_MARKER = "_CONTAINERD_ROOTLESS_SELINUX";

export interface ExecPlan {
  argv: string[];
  env: Record<string, string>;
}

export interface ParentPlan extends ExecPlan {
  settings: ResolvedSettings;
}

/** How to run this same program again: the compiled binary, or bun plus the script. */
export function selfArgv(host: Host): string[] {
  return host.scriptPath ? [host.execPath, host.scriptPath] : [host.execPath];
}

async function requireWritableDir(host: Host, name: string, value: string | undefined, fix: string): Promise<void> {
  if (!value || !isAbsolute(value)) throw new UserError(`${name} is not set (or not an absolute path)`, fix);
  const st = await host.stat(value).catch(() => null);
  if (!st?.isDirectory || !(await host.canAccess(value, "w"))) throw new UserError(`${name}=${value} is not a writable directory`, fix);
}

export function cleanEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Decides what the parent executes. `facts` may be passed (tests); otherwise they are
 * probed on the host. Throws UserError / SettingsError with the reason.
 */
export async function planParent(host: Host, paths: Paths, extraArgs: string[], facts?: RootlessKitFacts): Promise<ParentPlan> {
  if (host.uid === 0) {
    throw new UserError("refusing to run rootless containerd as the root user", "Run it as the unprivileged user who owns the systemd user service.");
  }
  await requireWritableDir(host, "XDG_RUNTIME_DIR", host.env.XDG_RUNTIME_DIR, `Log in through a real session (ssh or \`machinectl shell ${host.env.USER ?? "USER"}@\`) or export XDG_RUNTIME_DIR=/run/user/${host.uid}.`);
  await requireWritableDir(host, "HOME", host.env.HOME, "Set HOME to your home directory.");
  const input = parseSettings(rawSettingsFromEnv(host.env), "env");
  const found = facts ?? (await probeRootlessKitFacts(host));
  const settings = resolveSettings(input, found, paths, "env");

  const env = cleanEnv(host.env);
  env[CHILD_MARKER] = "1";
  delete env[SELINUX_MARKER];
  const selinuxenabled = await host.which("selinuxenabled");
  if (selinuxenabled && (await host.run([selinuxenabled], { timeoutMs: 10_000 })).code === 0) env[SELINUX_MARKER] = "1";

  const child = [...selfArgv(host), "launch", ...(extraArgs.length ? ["--", ...extraArgs] : [])];
  return { argv: rootlesskitArgv(found.rootlesskit!, settings, child), env, settings };
}
