// Argument fragments shared by several commands, and the per-run context a command builds.
import type { ArgsDef } from "citty";
import { Host } from "../core/os/host.ts";
import { UsageError } from "../core/os/errors.ts";
import { createRunContext, type RunContext } from "../core/plan/run-context.ts";

export const outputArgs = {
  json: { type: "boolean", description: "Print a machine-readable JSON result on stdout" },
  verbose: { type: "boolean", description: "Show debug output", alias: ["V"] },
} as const satisfies ArgsDef;

export const applyArgs = {
  yes: { type: "boolean", alias: ["y"], description: "Do not ask; apply the plan (headless)" },
  "dry-run": { type: "boolean", description: "Print the plan (files with diffs, commands) and change nothing" },
} as const satisfies ArgsDef;

/**
 * Builds what every command needs. Tests pass a Host through citty's `data`
 * (`runCommand(cmd, { rawArgs, data: { host } })`).
 */
export function runContext(data: unknown, args: { json?: boolean; verbose?: boolean }): RunContext {
  return createRunContext((data as { host?: Host } | undefined)?.host ?? new Host(), args);
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
