// Ctrl+C, SIGTERM or SIGHUP during a headless run that changes things: instead of dying
// mid-plan (a unit written and started but not enabled, a stale lock), the run's AbortSignal
// is aborted; applyPlan lets the current step finish, undoes what this run changed and throws
// a cancelled ApplyError, which becomes InterruptedError (exit 130, like a shell's Ctrl+C).
// A second signal does not cut the rollback short: it only says that it is still running.
import type { Host } from "../os/host.ts";
import type { Reporter } from "./reporter.ts";
import { UserError } from "../os/errors.ts";
import { ApplyError } from "./execute.ts";

export const INTERRUPTED_WARNING = "Interrupted: finishing the current step, then undoing what this run changed";
export const STILL_UNDOING_WARNING = "Still finishing the current step and undoing what this run changed; wait for it, stopping now would leave a half-done state";

/** From now on the stop signals abort the returned signal instead of ending the process. */
export function abortOnStopSignals(host: Host, reporter: Reporter): AbortSignal {
  const controller = new AbortController();
  host.onStopSignal(() => {
    if (controller.signal.aborted) return reporter.warn(STILL_UNDOING_WARNING);
    reporter.warn(INTERRUPTED_WARNING);
    controller.abort();
  });
  return controller.signal;
}

/** The run was interrupted by a signal and rolled back: exit code 130. */
export class InterruptedError extends UserError {
  /** `kept`: what an earlier, finished part of the same run changed and is not undone */
  constructor(readonly rolledBack: string[], readonly kept: string[] = []) {
    const undone = rolledBack.length ? `undone: ${rolledBack.join("; ")}` : kept.length ? "nothing of the interrupted part had been changed" : "nothing had been changed";
    super(`interrupted; ${undone}${kept.length ? `; kept (finished before the interrupt): ${kept.join("; ")}` : ""}.`, "Run the command again to do it.", 130);
    this.name = "InterruptedError";
  }
}

/** A cancelled ApplyError as the run's InterruptedError; any other error as it is. */
export function interruptedOr(e: unknown, kept: string[] = []): unknown {
  return e instanceof ApplyError && e.failure.cancelled ? new InterruptedError(e.rolledBack, kept) : e;
}
