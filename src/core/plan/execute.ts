// Runs a plan. Every step that changes something is journaled with how to undo it; when a
// step fails, what THIS run changed is rolled back (commands undone, files restored, systemd
// reloaded, late undos such as restarting the previous unit), then an ApplyError is thrown.
// An aborted `signal` is honoured between steps and after the last one (never in the middle of
// one, except a wait, which changes nothing) the same way: rollback, then an ApplyError whose
// failure is marked `cancelled`. So "Interrupted: ... undoing" always means undone.
// Writes of identical content are "unchanged", so a second run of the same plan changes nothing.
import { dirname, basename, join } from "node:path";
import type { Host, RunResult } from "../os/host.ts";
import { UserError } from "../os/errors.ts";
import { shellLine } from "../os/shell.ts";
import { requirePrivateDir } from "../os/private-dir.ts";
import { describeStep, stepTarget, type ApplyResult, type Step, type StepOutcome, type WaitStep } from "./steps.ts";
import { pollUntil } from "../os/wait.ts";
import { preflightSpace } from "./preflight.ts";
import { systemctl } from "../systemd/units.ts";

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

type Undo = { late: boolean; files: boolean; description: string; run: () => Promise<void> };

/** Where a replaced or removed file waits until the run ends (restored on rollback, else deleted): beside it, hidden. */
const rollbackPath = (path: string) => join(dirname(path), `.${basename(path)}.crs-rollback`);
const modeOf = (m: number) => m & 0o7777;

/** Removes the directories that are empty, deepest first (so an emptied parent goes too); keeps the rest. */
export async function removeEmptyDirs(host: Host, dirs: readonly string[]): Promise<void> {
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await host.removeEmptyDir(d);
}

async function missingDirs(host: Host, path: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dirname(path); d !== "/" && d !== "."; d = dirname(d)) {
    if (await host.exists(d)) break;
    missing.push(d);
  }
  return missing; // deepest first
}

function systemctlArgv(args: string[]): string[] {
  return ["systemctl", "--user", ...args];
}

export async function applyPlan(host: Host, steps: readonly Step[], opts: ApplyOptions = {}): Promise<ApplyResult> {
  await preflightSpace(host, steps);
  const undos: Undo[] = [];
  const commits: (() => Promise<void>)[] = [];
  const outcomes: StepOutcome[] = [];
  let reloaded = false;

  const fail = async (index: number, step: Step, reason: string, output?: string, cancelled?: boolean, afterLast?: boolean): Promise<never> => {
    const failure: StepFailure = { step, index, description: describeStep(step), reason, output, ...(cancelled ? { cancelled } : {}), ...(afterLast ? { afterLast } : {}) };
    const diagnostics = await opts.beforeRollback?.(failure).catch((e) => `(could not collect diagnostics: ${(e as Error).message})`);
    const rolledBack = await rollback(host, undos, reloaded, opts.onEvent);
    for (const c of commits) await c().catch(() => {});
    throw new ApplyError(failure, outcomes, rolledBack, diagnostics);
  };

  const dirUndos = (dirs: string[], why: string) => {
    if (dirs.length) undos.push({ late: false, files: true, description: `remove the directories created for ${why}`, run: () => removeEmptyDirs(host, dirs) });
  };

  for (const [index, step] of steps.entries()) {
    if (opts.signal?.aborted) await fail(index, step, CANCELLED_REASON, undefined, true);
    const started = host.now();
    opts.onEvent?.({ type: "start", index, step, description: describeStep(step) });
    let changed = true;
    let description = describeStep(step);
    try {
      switch (step.kind) {
        case "write": {
          const mode = step.mode ?? 0o644;
          const before = await host.readText(step.path);
          const st = await host.stat(step.path);
          // a file that exists keeps its mode and owner (a 0600 config.toml stays private): same bytes, nothing to do
          if (before === step.content && st) {
            changed = false;
            description = `${step.path} is unchanged`;
            break;
          }
          const dirs = await missingDirs(host, step.path);
          if (before !== null && step.backupTo && before !== step.content) {
            // our state (STATE/backups/FILE): private, created 0700, refused when others can enter it
            for (const d of [dirname(dirname(step.backupTo)), dirname(step.backupTo)]) await requirePrivateDir(host, d, "the state directory", { create: true });
            await host.writeFileAtomic(step.backupTo, before, modeOf(st!.mode));
          }
          await host.writeFileAtomic(step.path, step.content, mode);
          description = before === null ? `Created ${step.path}` : `Updated ${step.path}`;
          dirUndos(dirs, step.path);
          undos.push({ late: false, files: true, description: before === null ? `remove ${step.path}` : `restore ${step.path}`, run: async () => (before === null ? host.remove(step.path) : host.writeFileAtomic(step.path, before, st ? modeOf(st.mode) : 0o644)) });
          break;
        }
        case "copy": {
          const exists = await host.exists(step.path);
          if (exists && (await host.sameSizeAndMtime(step.from, step.path))) {
            changed = false;
            description = `${step.path} is unchanged`;
            break;
          }
          const dirs = await missingDirs(host, step.path);
          const backup = rollbackPath(step.path);
          if (exists) await host.rename(step.path, backup);
          try {
            await host.copyFileAtomic(step.from, step.path, step.mode ?? 0o755);
          } catch (e) {
            if (exists) await host.rename(backup, step.path);
            throw e;
          }
          description = exists ? `Replaced ${step.path}` : `Created ${step.path}`;
          dirUndos(dirs, step.path);
          undos.push({ late: false, files: true, description: exists ? `restore ${step.path}` : `remove ${step.path}`, run: async () => (exists ? host.rename(backup, step.path) : host.remove(step.path)) });
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
          await host.mkdirp(step.path, step.mode ?? 0o700);
          await host.chmod(step.path, step.mode ?? 0o700);
          description = `Created ${step.path}`;
          dirUndos(dirs, step.path);
          break;
        }
        case "remove": {
          const st = await host.stat(step.path);
          if (!st) {
            changed = false;
            description = `${step.path} is already absent`;
            break;
          }
          if (step.recursive && st.isDirectory) {
            await host.remove(step.path, { recursive: true }); // irreversible by design (only trees we own)
          } else {
            const backup = rollbackPath(step.path);
            await host.rename(step.path, backup);
            undos.push({ late: false, files: true, description: `restore ${step.path}`, run: () => host.rename(backup, step.path) });
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
          const r = await host.run(step.argv, { timeoutMs: 120_000 });
          if (r.code !== 0 || (await host.exists(step.path))) await fail(index, step, r.code !== 0 ? `exit code ${r.code}` : `${step.path} is still there`, output(r));
          description = `Removed ${step.path}`;
          break;
        }
        case "systemctl":
        case "run": {
          const r = step.kind === "systemctl" ? await systemctl(host, step.args) : await host.run(step.argv, { env: step.env, timeoutMs: step.timeoutMs ?? 60_000 });
          if (r.code !== 0) await fail(index, step, `exit code ${r.code}`, output(r));
          if (step.kind === "systemctl" && step.args[0] === "daemon-reload") reloaded = true;
          if (step.undo) {
            const undo = step.undo;
            const undoArgv = step.kind === "systemctl" ? systemctlArgv(undo) : undo;
            const wait = step.kind === "systemctl" ? step.undoWait : undefined;
            const late = step.kind === "systemctl" && (step.undoLate ?? bringsUp(undo));
            const description = shellLine(undoArgv) + (wait ? ` (until ${wait.what} answers)` : "");
            const runUndo = step.kind === "systemctl" ? () => systemctl(host, undo) : () => host.run(undoArgv, { timeoutMs: 60_000 });
            undos.push({ late, files: false, description, run: () => undoThenWait(host, undoArgv, runUndo, wait) });
          }
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
          description = `${step.what} answered after ${(r.ms / 1000).toFixed(2)} s`;
          break;
        }
      }
    } catch (e) {
      if (e instanceof ApplyError) throw e;
      await fail(index, step, (e as Error).message);
    }
    const outcome: StepOutcome = { kind: step.kind, description, changed, target: stepTarget(step), ms: Math.round(host.now() - started) };
    outcomes.push(outcome);
    opts.onEvent?.({ type: "done", index, step, outcome });
  }
  // a signal during the last step: the warning promised an undo, so undo rather than finish
  const last = steps.length - 1;
  if (last >= 0 && opts.signal?.aborted) await fail(last, steps[last]!, CANCELLED_REASON, undefined, true, true);
  for (const c of commits) await c().catch(() => {});
  return { changed: outcomes.some((o) => o.changed), steps: outcomes };
}

/**
 * An undo that brings a unit up (start, restart, enable, with or without --now) needs the unit
 * known to systemd again: it runs after the files are restored and systemd reloaded. Run
 * before them, `enable --now` of a unit file an interrupted uninstall had just removed fails.
 */
function bringsUp(undo: string[]): boolean {
  return ["start", "restart", "try-restart", "reload-or-restart", "enable", "reenable"].includes(undo[0] ?? "");
}

/** Runs an undo command; with `wait`, then polls until the unit answers (bounded by its timeout). */
async function undoThenWait(host: Host, argv: string[], run: () => Promise<RunResult>, wait?: WaitStep): Promise<void> {
  const r = await run();
  if (r.code !== 0) throw new Error(`${shellLine(argv)}: exit code ${r.code}${output(r) ? `: ${output(r)}` : ""}`);
  if (!wait) return;
  const w = await pollUntil(host, () => wait.ready(host), { timeoutMs: wait.timeoutMs, everyMs: wait.everyMs, failed: wait.failed ? () => wait.failed!(host) : undefined });
  if (!w.ok) throw new Error(`${wait.what} did not answer: ${w.reason}`);
}

function output(r: RunResult): string | undefined {
  const text = [r.stdout.trim(), r.stderr.trim()].filter(Boolean).join("\n");
  return text || undefined;
}

/** Undo in the safe order: services first, then files, one daemon-reload, then late undos. */
async function rollback(host: Host, undos: Undo[], reloaded: boolean, onEvent?: ApplyOptions["onEvent"]): Promise<string[]> {
  const done: string[] = [];
  const run = async (u: Undo) => {
    onEvent?.({ type: "rollback", description: u.description });
    const error = await u.run().then(() => undefined, (e: Error) => e.message);
    done.push(error ? `${u.description} (failed: ${error})` : u.description);
  };
  const reversed = [...undos].reverse();
  for (const u of reversed.filter((u) => !u.files && !u.late)) await run(u);
  for (const u of reversed.filter((u) => u.files)) await run(u);
  if (reloaded) {
    onEvent?.({ type: "rollback", description: "systemctl --user daemon-reload" });
    await systemctl(host, ["daemon-reload"]);
    done.push("systemctl --user daemon-reload");
  }
  for (const u of reversed.filter((u) => u.late)) await run(u);
  return done;
}
