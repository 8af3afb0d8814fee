// Verification at the end of a run that changed the stack (install, configure, apply): the same
// probes as `verify`, after the run's own lines, so that a stack whose containers have no
// network is not reported as a success. A probe that should pass and fails makes the command
// exit 1 with its message (what the run changed stays: it is not what is broken). Skipped with
// --no-verify, for a dry run, and when containerd is not running afterwards. Without a client to
// run containers with (no ctr) verify cannot run: the run said so as a warning and still succeeds,
// since nothing says the stack is broken; a missing socket after the run is an error.
import type { RunContext } from "../plan/run-context.ts";
import { UserError } from "../os/errors.ts";
import { isProblem, type VerifyReport } from "./outcome.ts";
import { printVerify } from "./report.ts";
import { runVerify } from "./run.ts";
import { VerifyUnavailable } from "./facts.ts";

export interface AfterChange {
  /** the report (null: verify could not run; `error` says why) */
  report: VerifyReport | null;
  error?: string;
  /** the exit code the command ends with: 1 when containers do not work as they should */
  code: number;
}

export async function verifyAfterChange(ctx: RunContext, command: string): Promise<AfterChange> {
  const { reporter } = ctx;
  reporter.info("Verifying that containers work (--no-verify skips this)");
  let report: VerifyReport;
  try {
    report = await runVerify(ctx.host, ctx.paths, { signal: ctx.signal });
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    const unavailable = e instanceof VerifyUnavailable;
    const text = `${command} finished, but verify could not run: ${e.message}${unavailable ? "; containers were not proven to work" : ""}`;
    if (unavailable) reporter.warn(`${text}\n  ${e.fix ?? ""}`.trimEnd());
    else {
      reporter.error(text);
      if (e.fix) reporter.plain(e.fix);
    }
    return { report: null, error: e.message, code: unavailable ? 0 : 1 };
  }
  if (!reporter.json) printVerify(reporter, report, true);
  const problem = report.probes.find(isProblem);
  if (problem) reporter.error(`${command} finished, but containers do NOT work as they should: ${problem.title}: ${problem.message}`);
  return { report, code: problem ? 1 : 0 };
}
