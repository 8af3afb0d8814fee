// The next run after one that was killed: under the lock (so never a run that is still
// going), an unfinished journal says what was interrupted. What the killed step left beside its
// targets (a write's temporary file) goes first; then the run is rolled back with the undo
// records the dead run wrote before each change — or, when it had already done something that
// cannot be undone (a removed tree) or had finished every step, rolled forward: its remaining
// steps run and its leftovers (files moved aside) are cleared. Then the journal goes and the
// command goes on with its own plan, computed from the machine as it now is.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import { VALIDATION_LEFTOVER, type Paths } from "../os/paths.ts";
import { acquireLock, type Lock, type LockOptions } from "../os/lock.ts";
import { irreversible, journalPath, readJournal, type JournalDoc } from "./journal.ts";
import type { Step } from "./steps.ts";
import { rollback, type Undo } from "./undo.ts";
import { applyPlan } from "./execute.ts";
import { removeAbandonedCopies } from "./staging.ts";

export interface RecoveryLog {
  warn(text: string): void;
  info(text: string): void;
}

export interface Recovery {
  command: string;
  pid: number;
  /** "rolled back" or "finished" */
  how: "rolled back" | "finished";
  actions: string[];
}


function undosOf(doc: JournalDoc): Undo[] {
  return Object.keys(doc.undo)
    .map(Number)
    .sort((a, b) => a - b)
    .flatMap((i) => doc.undo[String(i)]!.map((u) => ({ description: u.description, record: u.record })));
}

/** The files a step puts in place (the temporary files of a killed write are beside them). */
const targetsOf = (step: Step): string[] => [...("path" in step ? [step.path] : []), ...(step.kind === "write" && step.backupTo ? [step.backupTo] : [])];

/**
 * What a run killed in the middle of a step left beside its targets: a file's bytes written but
 * never renamed into place (`.NAME.<random>.tmp`), a copy staged or half made (also before the
 * journal's first write: install stages the binary's copy while its checks run), the journal's
 * own next version. No live run holds them: their run is dead and this one holds the run lock
 * (a copy another run is staging ahead of its lock is held by its flock and kept).
 */
async function removeLeftovers(host: Host, paths: Paths, doc: JournalDoc | null, log: RecoveryLog): Promise<void> {
  const copies = new Set([paths.installedBinary, ...(doc?.steps ?? []).flatMap(({ step }) => (step.kind === "copy" ? [step.path] : []))]);
  const writes = new Set([journalPath(paths), ...(doc?.steps ?? []).flatMap(({ step }) => (step.kind === "copy" ? [] : targetsOf(step)))]);
  const removed = [
    ...(await Promise.all([...copies].map((to) => removeAbandonedCopies(host, to)))),
    ...(await Promise.all([...writes].map((to) => host.removeAbandonedStaged(to).catch(() => [])))),
  ].flat();
  // the planned config a killed run was checking with `containerd config dump`, beside the user's config.toml
  for (const name of (await host.readdir(paths.containerdConfigDir).catch(() => null)) ?? []) {
    const pid = VALIDATION_LEFTOVER.exec(name)?.[1];
    if (!pid || Number(pid) === host.pid || host.pidAlive(Number(pid))) continue;
    await host.remove(join(paths.containerdConfigDir, name), { recursive: true });
    removed.push(join(paths.containerdConfigDir, name));
  }
  for (const file of removed) log.info(`Removed ${file}, left unfinished by a run that was killed`);
}

/** Recovers from an unfinished journal, if there is one; null when there was nothing to recover. Call it holding the lock. */
export async function recoverInterrupted(host: Host, paths: Paths, log: RecoveryLog): Promise<Recovery | null> {
  const path = journalPath(paths);
  const doc = await readJournal(host, path);
  if (doc === null || doc === "corrupt") {
    if (doc === "corrupt") log.warn(`${path} (the journal of an earlier run) cannot be read; it is removed. Check the files under ${paths.configHome} yourself.`);
    await removeLeftovers(host, paths, null, log);
    if (doc === "corrupt") await host.remove(path);
    return null;
  }
  const total = doc.steps.length;
  const done = new Set(doc.done);
  const started = Math.max(-1, ...Object.keys(doc.undo).map(Number), ...doc.done);
  const at = doc.steps[started]?.description ?? "its first step";
  log.warn(`An earlier run was interrupted: \`${doc.command}\` (pid ${doc.pid}, started ${doc.startedAt}) stopped after ${done.size} of ${total} steps, at: ${at}.`);
  // first what the killed step left half-done beside its target: a directory the run made holds
  // the temporary file of a write killed before its rename, and the undo removes only empty ones
  await removeLeftovers(host, paths, doc, log);
  const forward = done.size === total || doc.done.some((i) => irreversible(doc.steps[i]!.step));
  const undos = undosOf(doc);
  let actions: string[];
  if (forward) {
    log.warn(done.size === total ? "It had finished every step; clearing what it left aside." : "It had already removed something that cannot be put back; finishing its remaining steps.");
    const rest = doc.steps.filter((_, i) => !done.has(i)).map((s) => s.step).filter((s) => s.kind !== "wait");
    const r = rest.length ? await applyPlan(host, rest, { journal: false }) : { steps: [] };
    actions = r.steps.filter((o) => o.changed).map((o) => o.description);
    for (const u of undos) if (u.record.op === "rename") await host.remove(u.record.from); // its backups
  } else {
    const reload = doc.steps.some((s, i) => i <= started && s.step.kind === "systemctl");
    actions = await rollback(host, undos, reload, (d) => log.warn(`Undoing: ${d}`));
  }
  await host.remove(path);
  log.info(`Recovered from the interrupted \`${doc.command}\` (${forward ? "finished" : "rolled back"}); continuing.`);
  return { command: doc.command, pid: doc.pid, how: forward ? "finished" : "rolled back", actions };
}

/** The run lock, then the recovery of an interrupted run: what every command that changes something starts with. */
export async function acquireRunLock(host: Host, paths: Paths, opts: LockOptions, log: RecoveryLog): Promise<Lock> {
  const lock = await acquireLock(host, paths, opts);
  try {
    await recoverInterrupted(host, paths, log);
  } catch (e) {
    await lock.release();
    throw e;
  }
  return lock;
}

export async function withRunLock<T>(host: Host, paths: Paths, opts: LockOptions, log: RecoveryLog, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireRunLock(host, paths, opts, log);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * For `status`: recovers an interrupted run when no other run holds the lock (a run that is
 * still going is left alone); never fails the status itself.
 */
export async function recoverIfIdle(host: Host, paths: Paths, log: RecoveryLog): Promise<void> {
  const lock = await acquireRunLock(host, paths, { purpose: "status", waitMs: 0 }, log).catch(() => null);
  await lock?.release();
}
