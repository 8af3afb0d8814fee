// Argument fragments shared by several commands, and the per-run context a command builds.
import type { ArgsDef } from "citty";
import { Host } from "../core/host.ts";
import { resolvePaths, type Paths } from "../core/paths.ts";
import { Reporter } from "../core/reporter.ts";
import { UsageError } from "../core/errors.ts";
import { abortOnStopSignals } from "../core/interrupt.ts";

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
  /**
   * Aborted by Ctrl+C, SIGTERM or SIGHUP; hand it to applyPlan so an interrupted run is rolled
   * back (src/core/interrupt.ts). Reading it starts the listening: read it where the changes
   * start, so before that (checks, the y/N question, read-only commands) a signal simply ends the run.
   */
  readonly signal?: AbortSignal;
}

/**
 * Builds what every command needs. Tests pass a Host through citty's `data`
 * (`runCommand(cmd, { rawArgs, data: { host } })`).
 */
export function runContext(data: unknown, args: { json?: boolean; verbose?: boolean }): RunContext {
  const host = (data as { host?: Host } | undefined)?.host ?? new Host();
  const reporter = new Reporter(host, { json: args.json, verbose: args.verbose });
  let signal: AbortSignal | undefined;
  return {
    host,
    paths: resolvePaths(host.env, host.uid),
    reporter,
    get signal() {
      return (signal ??= abortOnStopSignals(host, reporter));
    },
  };
}

/** Shows a plan (when given) and asks the person at the terminal; false cancels. */
export type Confirm = (planText: string) => Promise<boolean>;

/**
 * Consent for a mutating command. Without a terminal it must be told to go ahead (scripts
 * pass --yes, or --dry-run to only look); on a terminal without --yes it returns a Confirm
 * that shows the plan and asks y/N. Undefined means: go ahead.
 */
export function consent(ctx: RunContext, args: { yes?: boolean; "dry-run"?: boolean }): Confirm | undefined {
  if (args.yes || args["dry-run"]) return undefined;
  if (!ctx.host.stdinIsTTY) throw new UsageError("not a terminal; pass --yes", "Re-run with --yes to apply without asking, or --dry-run to see the plan.");
  return async (planText) => {
    if (planText) ctx.reporter.plain(planText);
    return /^y(es)?$/i.test((await ctx.host.ask("Apply this plan? [y/N] ")).trim());
  };
}
