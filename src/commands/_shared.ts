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

/** `--no-verify` for the commands that end with verify's probes (citty reads a `--no-` flag as its positive's false: it is taken from the raw arguments). */
export const verifyArgs = {
  "no-verify": { type: "boolean", description: "Do not end with verify's probes (a container starts, has network, DNS, published ports...; see `verify`)" },
} as const satisfies ArgsDef;

export const skipVerify = (rawArgs: string[]): boolean => rawArgs.slice(0, rawArgs.includes("--") ? rawArgs.indexOf("--") : undefined).includes("--no-verify");

/**
 * Ends a command that changed the stack with verify (unless --no-verify, or nothing changed):
 * prints its lines, adds its report to the command's JSON result, and returns the exit code
 * (1 when a probe that should pass failed).
 */
export async function endWithVerify<R extends { changed?: boolean; ok?: boolean }>(ctx: RunContext, rawArgs: string[], command: string, result: R, run = Boolean(result.changed)): Promise<number> {
  if (!run || skipVerify(rawArgs)) {
    ctx.reporter.result(result);
    return 0;
  }
  const { verifyAfterChange } = await import("../core/verify/after-change.ts");
  const v = await verifyAfterChange(ctx, command);
  ctx.reporter.result({ ...result, ok: (result.ok ?? true) && v.code === 0, verify: v.report ?? { error: v.error } });
  return v.code;
}
