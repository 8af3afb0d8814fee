// How to undo one applied step, as data: the same record runs the in-process rollback (a
// failure, Ctrl+C) and, read back from the journal, the recovery after a run that was killed.
// Every record is safe to run again (a recovery that is itself interrupted starts over) and
// safe to run when its step never got to change anything.
import type { Host, RunResult } from "../os/host.ts";
import { pollUntil } from "../os/wait.ts";
import { systemctl } from "../systemd/units.ts";
import { shellLine } from "../os/shell.ts";
import type { WaitStep } from "./steps.ts";

export type UndoRecord =
  /** put back the content a write replaced (a replaced file keeps its mode) */
  | { op: "restore"; path: string; content: string; mode: number }
  /** remove what a step created */
  | { op: "remove"; path: string }
  /** put back a file moved aside (a replaced binary, a removed file), when it is still aside */
  | { op: "rename"; from: string; to: string }
  /** put back a removed file by copying an identical one (mode as it was), when it is missing */
  | { op: "copy"; from: string; to: string; mode: number }
  /** the directories a step created, removed while empty */
  | { op: "remove-dirs"; dirs: string[] }
  /** `late`: after files are restored and systemd reloaded (an undo that brings a unit up) */
  | { op: "systemctl"; args: string[]; late: boolean }
  | { op: "run"; argv: string[] };

export interface Undo {
  description: string;
  record: UndoRecord;
  /** after a systemctl undo, polled until the unit answers again (in-process only: not journaled) */
  wait?: WaitStep;
}

const isFile = (r: UndoRecord) => r.op !== "systemctl" && r.op !== "run";
const isLate = (r: UndoRecord) => r.op === "systemctl" && r.late;

/** Removes the directories that are empty, deepest first (so an emptied parent goes too); keeps the rest. */
export async function removeEmptyDirs(host: Host, dirs: readonly string[]): Promise<void> {
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await host.removeEmptyDir(d);
}

function output(r: RunResult): string | undefined {
  const text = [r.stdout.trim(), r.stderr.trim()].filter(Boolean).join("\n");
  return text || undefined;
}

export async function runUndo(host: Host, u: Undo): Promise<void> {
  const r = u.record;
  switch (r.op) {
    case "restore":
      return host.writeFileAtomic(r.path, r.content, r.mode);
    case "remove":
      return host.remove(r.path);
    case "rename":
      if (await host.exists(r.from)) await host.rename(r.from, r.to);
      return;
    case "copy":
      if (!(await host.exists(r.to))) await host.copyFileAtomic(r.from, r.to, r.mode);
      return;
    case "remove-dirs":
      return removeEmptyDirs(host, r.dirs);
    case "systemctl":
    case "run": {
      const argv = r.op === "systemctl" ? ["systemctl", "--user", ...r.args] : r.argv;
      const res = r.op === "systemctl" ? await systemctl(host, r.args) : await host.run(r.argv, { timeoutMs: 60_000 });
      if (res.code !== 0) throw new Error(`${shellLine(argv)}: exit code ${res.code}${output(res) ? `: ${output(res)}` : ""}`);
      // Undoing a start: a unit stopped while it was still starting (RootlessKit killed before its
      // child is up) exits non-zero and systemd keeps it "failed". Before the run it was not
      // failed, so the undo clears that too; a unit that is not failed or not loaded is left as is.
      if (r.op === "systemctl" && r.args[0] === "stop") await systemctl(host, ["reset-failed", ...r.args.slice(1).filter((a) => !a.startsWith("-"))]);
      if (!u.wait) return;
      const w = u.wait;
      const p = await pollUntil(host, () => w.ready(host), { timeoutMs: w.timeoutMs, everyMs: w.everyMs, failed: w.failed ? () => w.failed!(host) : undefined });
      if (!p.ok) throw new Error(`${w.what} did not answer: ${p.reason}`);
    }
  }
}

/** Undo in the safe order: services first, then files, one daemon-reload, then late undos. Returns what was done. */
export async function rollback(host: Host, undos: readonly Undo[], reload: boolean, onUndo?: (description: string) => void): Promise<string[]> {
  const done: string[] = [];
  const run = async (u: Undo) => {
    onUndo?.(u.description);
    const error = await runUndo(host, u).then(() => undefined, (e: Error) => e.message);
    done.push(error ? `${u.description} (failed: ${error})` : u.description);
  };
  const reversed = [...undos].reverse();
  for (const u of reversed.filter((u) => !isFile(u.record) && !isLate(u.record))) await run(u);
  for (const u of reversed.filter((u) => isFile(u.record))) await run(u);
  if (reload) {
    onUndo?.("systemctl --user daemon-reload");
    await systemctl(host, ["daemon-reload"]);
    done.push("systemctl --user daemon-reload");
  }
  for (const u of reversed.filter((u) => isLate(u.record))) await run(u);
  return done;
}

/**
 * An undo that brings a unit up (start, restart, enable, with or without --now) needs the unit
 * known to systemd again: it runs after the files are restored and systemd reloaded. Run
 * before them, `enable --now` of a unit file an interrupted uninstall had just removed fails.
 */
export function bringsUp(undo: string[]): boolean {
  return ["start", "restart", "try-restart", "reload-or-restart", "enable", "reenable"].includes(undo[0] ?? "");
}
