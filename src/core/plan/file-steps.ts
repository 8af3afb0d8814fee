// The plan's steps that put one file or link in place (execute.ts runs them in order, with the
// journal): a text file written whole ("write"), and a symbolic link ("link", how `systemctl
// enable` records a unit's WantedBy=). Each says first, through `willChange`, how to undo it
// (removing what did not exist, the directories it had to make included), then changes it; the
// same content or link already there is "unchanged".
import { dirname } from "node:path";
import type { Host } from "../os/host.ts";
import { HostError } from "../os/host.ts";
import { requirePrivateDir } from "../os/private-dir.ts";
import type { Step } from "./steps.ts";
import type { Undo } from "./undo.ts";

type WillChange = (...undos: Undo[]) => Promise<void>;
export interface FileStepResult {
  changed: boolean;
  /** what happened, e.g. "Created /path" */
  description: string;
}

/** A mode's permission bits (what a restore puts back). */
export const modeOf = (m: number) => m & 0o7777;

/** The directories above `path` that do not exist yet, deepest first. */
export async function missingDirs(host: Host, path: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dirname(path); d !== "/" && d !== "."; d = dirname(d)) {
    if (await host.exists(d)) break;
    missing.push(d);
  }
  return missing;
}

/** The undo that removes the directories a step made (while empty). */
export const dirUndo = (dirs: string[], why: string): Undo[] => (dirs.length ? [{ description: `remove the directories created for ${why}`, record: { op: "remove-dirs", dirs } }] : []);

export async function applyWrite(host: Host, step: Extract<Step, { kind: "write" }>, willChange: WillChange): Promise<FileStepResult> {
  const before = await host.readText(step.path);
  const st = await host.stat(step.path);
  // a file that exists keeps its mode and owner (a 0600 config.toml stays private): same bytes, nothing to do
  if (before === step.content && st) return { changed: false, description: `${step.path} is unchanged` };
  await willChange(
    ...dirUndo(await missingDirs(host, step.path), step.path),
    before === null ? { description: `remove ${step.path}`, record: { op: "remove", path: step.path } } : { description: `restore ${step.path}`, record: { op: "restore", path: step.path, content: before, mode: modeOf(st!.mode) } },
  );
  if (before !== null && step.backupTo && before !== step.content) {
    // our state (STATE/backups/FILE): private, created 0700, refused when others can enter it
    for (const d of [dirname(dirname(step.backupTo)), dirname(step.backupTo)]) await requirePrivateDir(host, d, "the state directory", { create: true });
    await host.writeFileAtomic(step.backupTo, before, modeOf(st!.mode));
  }
  await host.writeFileAtomic(step.path, step.content, step.mode ?? 0o644);
  return { changed: true, description: before === null ? `Created ${step.path}` : `Updated ${step.path}` };
}

/** The link, unless it is there already; anything else at its place is refused (never replaced). */
export async function applyLink(host: Host, step: Extract<Step, { kind: "link" }>, willChange: WillChange): Promise<FileStepResult> {
  const st = await host.stat(step.path);
  if (st?.isSymlink && (await host.readlink(step.path)) === step.target) return { changed: false, description: `${step.path} is unchanged` };
  if (st) throw new HostError(`${step.path} exists and is not the link to ${step.target}; move it away and run this again`, step.path);
  await willChange(...dirUndo(await missingDirs(host, step.path), step.path), { description: `remove ${step.path}`, record: { op: "remove", path: step.path } });
  await host.mkdirp(dirname(step.path), 0o755);
  await host.symlink(step.target, step.path);
  return { changed: true, description: `Created ${step.path} → ${step.target}` };
}
