// Argument fragments shared by several commands, and the per-run context a command builds.
import type { ArgsDef } from "citty";
import { Host } from "../core/host.ts";
import { resolvePaths, type Paths } from "../core/paths.ts";
import { Reporter } from "../core/reporter.ts";
import { UsageError } from "../core/errors.ts";

export const outputArgs = {
  json: { type: "boolean", description: "Print a machine-readable JSON result on stdout" },
  verbose: { type: "boolean", description: "Show debug output", alias: ["V"] },
} as const satisfies ArgsDef;

export const applyArgs = {
  yes: { type: "boolean", alias: ["y"], description: "Do not ask; apply the plan (headless)" },
  "dry-run": { type: "boolean", description: "Print the plan (files with diffs, commands) and change nothing" },
} as const satisfies ArgsDef;

export interface RunContext {
  host: Host;
  paths: Paths;
  reporter: Reporter;
}

/**
 * Builds what every command needs. Tests pass a Host through citty's `data`
 * (`runCommand(cmd, { rawArgs, data: { host } })`).
 */
export function runContext(data: unknown, args: { json?: boolean; verbose?: boolean }): RunContext {
  const host = (data as { host?: Host } | undefined)?.host ?? new Host();
  return {
    host,
    paths: resolvePaths(host.env, host.uid),
    reporter: new Reporter(host, { json: args.json, verbose: args.verbose }),
  };
}

/**
 * A mutating command run without a terminal must be told to go ahead: scripts pass --yes
 * (or --dry-run to only look).
 */
export function requireConsent(host: Host, args: { yes?: boolean; "dry-run"?: boolean }): void {
  if (args.yes || args["dry-run"]) return;
  if (!host.stdinIsTTY) throw new UsageError("not a terminal; pass --yes", "Re-run with --yes to apply without asking, or --dry-run to see the plan.");
}
