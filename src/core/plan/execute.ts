// Runs a plan. Every step that changes something is journaled with how to undo it, durably
// (journal.ts) before the change, so a run that is killed is rolled back by the next one
// (recover.ts); when a step fails, what THIS run changed is rolled back (commands undone, files restored, systemd
// reloaded, late undos such as restarting the previous unit), then an ApplyError is thrown.
// An aborted `signal` is honoured between steps and after the last one (never in the middle of
// one, except a wait, which changes nothing) the same way: rollback, then an ApplyError whose
// failure is marked `cancelled`. So "Interrupted: ... undoing" always means undone.
// Writes of identical content are "unchanged", so a second run of the same plan changes nothing.
import { dirname, basename, join } from "node:path";
import type { Host } from "../os/host.ts";
import { UserError } from "../os/errors.ts";
import { shellLine } from "../os/shell.ts";
import { stepTarget, type ApplyResult, type Step, type StepOutcome } from "./steps.ts";
import { stepLabel } from "./label.ts";
import { pollUntil } from "../os/wait.ts";
import { preflightSpace } from "./preflight.ts";
import { systemctl, unitsForgotten } from "../systemd/units.ts";
import { Journal, defaultJournalPath, irreversible } from "./journal.ts";
import { bringsUp, rollback, type Undo } from "./undo.ts";
import { stepFinished, stepKind } from "./test-hooks.ts";
import { placeCopy } from "./staging.ts";
import { applyLink, applyWrite, dirUndo, missingDirs, modeOf } from "./file-steps.ts";

export { removeEmptyDirs } from "./undo.ts";

export type ApplyEvent =
  | { type: "start"; index: number; step: Step; description: string }
  | { type: "done"; index: number; step: Step; outcome: StepOutcome }
  | { type: "progress"; index: number; step: Step; elapsedMs: number }
  | { type: "rollback"; description: string };

export interface StepFailure {
  step: Step;
  index: number;
  description: string;
  reason: string;
  /** the failing program's output, when there is one */
  output?: string;
  /** the signal was aborted before this step ran (the step itself never started), or during this wait */
  cancelled?: boolean;
  /** cancelled after this step, the plan's last, had finished (it is rolled back too) */
  afterLast?: boolean;
}

/** The failure reason when the run was cancelled through `ApplyOptions.signal`. */
export const CANCELLED_REASON = "cancelled";

export interface ApplyOptions {
  onEvent?: (e: ApplyEvent) => void;
  /** called after a failure, before rollback (e.g. collect `systemctl status` while the unit still exists); its text goes into the error */
  beforeRollback?: (failure: StepFailure) => Promise<string | undefined>;
  /** checked before each step: once aborted, no further step starts and this run is rolled back */
  signal?: AbortSignal;
  /** the durable journal's path (default: the user's state directory); false: none (a recovery finishing a plan) */
  journal?: string | false;
}

export class ApplyError extends UserError {
  constructor(
    readonly failure: StepFailure,
    readonly outcomes: StepOutcome[],
    readonly rolledBack: string[],
    readonly diagnostics: string | undefined,
    fix?: string,
  ) {
    super(failure.cancelled ? `Cancelled ${failure.afterLast ? "after" : "before"}: ${failure.description}` : `${failure.description} failed: ${failure.reason}`, fix);
    this.name = "ApplyError";
  }
}

/** Where a replaced or removed file waits until the run ends (restored on rollback, else deleted): beside it, hidden. */
const rollbackPath = (path: string) => join(dirname(path), `.${basename(path)}.crs-rollback`);

export async function applyPlan(host: Host, steps: readonly Step[], opts: ApplyOptions = {}): Promise<ApplyResult> {
  await preflightSpace(host, steps);
  const undos: Undo[] = [];
  const commits: (() => Promise<void>)[] = [];
  const outcomes: StepOutcome[] = [];
  let reloaded = false;
  const journal = opts.journal === false ? null : new Journal(host, opts.journal ?? defaultJournalPath(host), steps.map((step) => ({ description: stepLabel(step, host.env.HOME), step })));
  /** Journals how to undo what step `index` is about to change, then keeps it for an in-process rollback. */
  const willChange = async (index: number, ...list: Undo[]) => {
    await journal?.willChange(index, list);
    undos.push(...list);
  };

  /**
   * Work a step leaves running once its journal write is done (a placed copy's fsync; the unlink of a file an identical one can
   * restore, 20 ms for the binary, beside which later small fsyncs barely wait), joined before the run ends or rolls back.
   */
  const background: { index: number; step: Step; done: Promise<string | null>; finish?: (keep: boolean) => Promise<void> }[] = [];
  // `keep`: the run's steps are done (a copy linked for the while is replaced by its real copy); else it fails (dropped)
  const joinBackground = (keep = true) =>
    Promise.all(background.splice(0).map(async (b) => {
      const error = await b.done;
      return { ...b, error: b.finish ? await b.finish(keep && error === null).then(() => error, (e: Error) => error ?? e.message) : error };
    }));

  const fail = async (index: number, step: Step, reason: string, output?: string, cancelled?: boolean, afterLast?: boolean): Promise<never> => {
    await joinBackground(false); // its undo needs it finished
    const failure: StepFailure = { step, index, description: stepLabel(step, host.env.HOME), reason, output, ...(cancelled ? { cancelled } : {}), ...(afterLast ? { afterLast } : {}) };
    const diagnostics = await opts.beforeRollback?.(failure).catch((e) => `(could not collect diagnostics: ${(e as Error).message})`);
    const rolledBack = await rollback(host, undos, reloaded, (description) => opts.onEvent?.({ type: "rollback", description }));
    await commitAll(commits);
    await journal?.finish();
    throw new ApplyError(failure, outcomes, rolledBack, diagnostics);
  };

  for (const [index, step] of steps.entries()) {
    if (opts.signal?.aborted) await fail(index, step, CANCELLED_REASON, undefined, true);
    const started = host.now();
    const label = stepLabel(step, host.env.HOME);
    opts.onEvent?.({ type: "start", index, step, description: label });
    let changed = true;
    let description = label;
    try {
      switch (step.kind) {
        case "write":
          ({ changed, description } = await applyWrite(host, step, (...list) => willChange(index, ...list)));
          break;
        case "link":
          ({ changed, description } = await applyLink(host, step, (...list) => willChange(index, ...list)));
          break;
        case "copy": {
          const exists = await host.exists(step.path);
          if (exists && (await host.sameSizeAndMtime(step.from, step.path))) {
            changed = false;
            description = `${step.path} is unchanged`;
            break;
          }
          const dirs = await missingDirs(host, step.path);
          const backup = rollbackPath(step.path);
          await willChange(
            index,
            ...dirUndo(dirs, step.path),
            exists ? { description: `restore ${step.path}`, record: { op: "rename", from: backup, to: step.path } } : { description: `remove ${step.path}`, record: { op: "remove", path: step.path } },
          );
          if (exists) await host.rename(step.path, backup);
          try {
            // on disk before the run ends; meanwhile the plan goes on (the binary's fsync overlaps containerd's start)
            const placed = await placeCopy(host, step.from, step.path, step.mode ?? 0o755);
            background.push({ index, step, done: placed.durable.then(() => null, (e: Error) => e.message), finish: placed.finish });
          } catch (e) {
            if (exists) await host.rename(backup, step.path);
            throw e;
          }
          description = exists ? `Replaced ${step.path}` : `Created ${step.path}`;
          if (exists) commits.push(() => host.remove(backup));
          break;
        }
        case "mkdir": {
          if ((await host.stat(step.path))?.isDirectory) {
            changed = false;
            description = `${step.path} exists`;
            break;
          }
          const dirs = [step.path, ...(await missingDirs(host, step.path))];
          await willChange(index, ...dirUndo(dirs, step.path));
          await host.mkdirp(step.path, step.mode ?? 0o700);
          await host.chmod(step.path, step.mode ?? 0o700);
          description = `Created ${step.path}`;
          break;
        }
        case "remove": {
          const st = await host.stat(step.path);
          if (!st) {
            changed = false;
            description = `${step.path} is already absent`;
            break;
          }
          if (step.restoreFrom && st.isFile) {
            await willChange(index, { description: `restore ${step.path}`, record: { op: "copy", from: step.restoreFrom, to: step.path, mode: modeOf(st.mode) } });
            background.push({ index, step, done: host.remove(step.path).then(() => null, (e: Error) => e.message) });
          } else if (step.recursive && st.isDirectory) {
            await willChange(index); // irreversible by design (only trees we own): journaled with no undo
            await host.remove(step.path, { recursive: true });
          } else {
            const backup = rollbackPath(step.path);
            await willChange(index, { description: `restore ${step.path}`, record: { op: "rename", from: backup, to: step.path } });
            await host.rename(step.path, backup);
            commits.push(() => host.remove(backup));
          }
          description = `Removed ${step.path}`;
          break;
        }
        case "remove-tree-in-namespace": {
          if (!(await host.stat(step.path))) {
            changed = false;
            description = `${step.path} is already absent`;
            break;
          }
          await willChange(index); // irreversible: journaled with no undo
          const r = await host.run(step.argv, { timeoutMs: 120_000 });
          if (r.code !== 0 || (await host.exists(step.path))) await fail(index, step, r.code !== 0 ? `exit code ${r.code}` : `${step.path} is still there`, output(r));
          description = `Removed ${step.path}`;
          break;
        }
        case "systemctl":
        case "run": {
          if (step.kind === "systemctl" && step.unlessForgotten && (await unitsForgotten(host, step.unlessForgotten))) {
            changed = false;
            description = `Not needed: systemd has already forgotten ${step.unlessForgotten.join(", ")}`;
            break;
          }
          const undo = step.undo;
          if (undo) {
            const late = step.kind === "systemctl" && (step.undoLate ?? bringsUp(undo));
            const wait = step.kind === "systemctl" ? step.undoWait : undefined;
            const argv = step.kind === "systemctl" ? ["systemctl", "--user", ...undo] : undo;
            const record = step.kind === "systemctl" ? ({ op: "systemctl", args: undo, late } as const) : ({ op: "run", argv: undo } as const);
            await willChange(index, { description: shellLine(argv) + (wait ? ` (until ${wait.what} answers)` : ""), record, wait });
          } else await willChange(index);
          const r = step.kind === "systemctl" ? await systemctl(host, step.args) : await host.run(step.argv, { env: step.env, timeoutMs: step.timeoutMs ?? 60_000 });
          if (r.code !== 0) await fail(index, step, `exit code ${r.code}`, output(r));
          if (step.kind === "systemctl" && step.args[0] === "daemon-reload") reloaded = true;
          // systemd read the unit's files for this step: a rollback that takes them away reloads it
          if (step.kind === "systemctl" && step.loadsUnit) reloaded = true;
          description = `Ran ${stepTarget(step)}`;
          break;
        }
        case "wait": {
          const r = await pollUntil(host, () => step.ready(host), {
            timeoutMs: step.timeoutMs,
            everyMs: step.everyMs,
            failed: step.failed ? () => step.failed!(host) : undefined,
            onProgress: (elapsedMs) => opts.onEvent?.({ type: "progress", index, step, elapsedMs }),
            signal: opts.signal,
          });
          if (!r.ok) await fail(index, step, r.reason, r.cancelled ? undefined : await step.explain?.(host).catch(() => undefined), r.cancelled);
          changed = false; // waiting changes nothing by itself
          description = `${step.settled ?? `${step.what} answered`} after ${(r.ms / 1000).toFixed(2)} s`;
          break;
        }
      }
    } catch (e) {
      if (e instanceof ApplyError) throw e;
      await fail(index, step, (e as Error).message);
    }
    host.testPoint("step-done", stepKind(step)); // the fault matrix: its work done (a unit started), not yet recorded
    const outcome: StepOutcome = { kind: step.kind, description: label, result: description, changed, target: stepTarget(step), ms: Math.round(host.now() - started) };
    outcomes.push(outcome);
    // a step whose work still runs is recorded finished once it is: at the latest when a step recovery decides on (the last,
    // an irreversible one) is recorded, in the same journal write, since recovery rolls forward from there
    const decisive = index === steps.length - 1 || irreversible(step);
    if (decisive) for (const b of await joinBackground()) {
      if (b.error !== null) await fail(b.index, b.step, b.error);
      await journal?.done(b.index, false);
    }
    if (!background.some((b) => b.index === index)) await journal?.done(index, decisive);
    opts.onEvent?.({ type: "done", index, step, outcome });
    stepFinished(host);
  }
  // a signal during the last step: the warning promised an undo, so undo rather than finish
  const last = steps.length - 1;
  if (last >= 0 && opts.signal?.aborted) await fail(last, steps[last]!, CANCELLED_REASON, undefined, true, true);
  await commitAll(commits);
  await journal?.finish();
  return { changed: outcomes.some((o) => o.changed), steps: outcomes };
}

/** Removes the backups set aside (independent files, so at once: each unlink and directory fsync overlaps the others); before the journal goes. */
async function commitAll(commits: (() => Promise<void>)[]): Promise<void> {
  await Promise.all(commits.map((c) => c().catch(() => {})));
}

function output(r: { stdout: string; stderr: string }): string | undefined {
  const text = [r.stdout.trim(), r.stderr.trim()].filter(Boolean).join("\n");
  return text || undefined;
}
