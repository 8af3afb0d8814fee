// A copy started ahead of its step. `install` starts copying the binary (115 MB: the copy and
// its fsync are most of what install adds to containerd's own start-up) while its checks run;
// the plan's copy step then only renames the staged file into place (execute.ts). The staged
// file is the same durable copy the step would make (host.stageCopy: exclusive create, mode,
// mtime, its fsync under way, awaited before the run ends), hidden beside its target (or in the nearest existing directory above it, while
// the target's directory is still to be made). Staged only into a directory that exists: nothing
// but the hidden file is created before the run holds its lock and journals what it changes. A staged copy the plan
// did not use (the checks failed, nothing to copy, cancelled) is removed by discardStaged.
import { dirname } from "node:path";
import type { Host } from "../os/host.ts";

interface Staged {
  from: string;
  mode: number;
  /** the staged file's path, or null when staging failed (the step then copies as usual) */
  file: Promise<string | null>;
}

const staged = new WeakMap<Host, Map<string, Staged>>();

/** The directories a copy for `to` may be staged in: its own, then the ones above it (at most STAGE_UP), nearest first. */
function stageDirs(to: string): string[] {
  const dirs = [dirname(to)];
  while (dirs.length <= STAGE_UP && dirs.at(-1) !== "/") dirs.push(dirname(dirs.at(-1)!));
  return dirs;
}

/** ~/.local/bin may be missing with ~/.local too: the copy is staged in ~ then (the plan makes both). */
const STAGE_UP = 2;

/**
 * Starts copying `from` for `to`, unless `to` is already the same file; returns at once. Staged
 * beside `to`, or, while `to`'s directory is still to be made (by the plan, journaled), in the
 * nearest existing directory above it: the same file system as the directory made in it, so the
 * copy step still only renames (and copies anew if the rename cannot: placeCopy).
 */
export async function stageCopy(host: Host, from: string, to: string, mode: number): Promise<void> {
  if (await host.sameSizeAndMtime(from, to)) return;
  let dir: string | undefined;
  for (const d of stageDirs(to)) {
    const st = await host.stat(d).catch(() => null);
    if (st) {
      dir = st.isDirectory && !st.isSymlink ? d : undefined;
      break;
    }
  }
  if (!dir) return;
  const map = staged.get(host) ?? new Map<string, Staged>();
  staged.set(host, map);
  if (map.has(to)) return;
  map.set(to, { from, mode, file: host.stageCopy(from, to, mode, dir).catch(() => null) });
}

/** The staged copy of `from` for `to` with `mode`, taken (the caller puts it in place); null when there is none. */
export async function takeStaged(host: Host, from: string, to: string, mode: number): Promise<string | null> {
  const s = staged.get(host)?.get(to);
  if (!s || s.from !== from || s.mode !== mode) return null;
  staged.get(host)!.delete(to);
  return s.file;
}

/** Whether a complete staged copy of `from` for `to` is waiting (its bytes are already on disk: the step only renames it); waits for the copy to finish. */
export async function stagedComplete(host: Host, from: string, to: string, mode: number): Promise<boolean> {
  const s = staged.get(host)?.get(to);
  if (!s || s.from !== from || s.mode !== mode) return false;
  const file = await s.file;
  return file !== null && (await host.sameSizeAndMtime(from, file));
}

/** Removes every staged copy no step took (after the run, whatever its outcome). */
export async function discardStaged(host: Host): Promise<void> {
  const map = staged.get(host);
  if (!map) return;
  staged.delete(host);
  await Promise.all([...map.values()].map(async (s) => {
    const file = await s.file;
    if (file) await host.dropStaged(file).catch(() => {});
  }));
}

/**
 * Removes staged copies of `to` left by a run that died while it copied (a hidden 115 MB file in
 * ~/.local/bin otherwise stays forever). Called while holding the run lock; a copy another run is
 * staging right now (before it takes the lock) is held by that run and kept (host.removeAbandonedStaged).
 */
export async function removeAbandonedCopies(host: Host, to: string): Promise<string[]> {
  return host.removeAbandonedStaged(to, stageDirs(to)).catch(() => []);
}

/** What the copy step placed: `durable` ends once its bytes are on disk; `finish`, when given, is called once the run's steps are done (keep) or it fails (drop). */
export interface PlacedCopy {
  durable: Promise<void>;
  finish?: (keep: boolean) => Promise<void>;
}

/** Whether `to` can be a hard link of `from` for a while: the same file system, and `from` this user's own (fs.protected_hardlinks). */
export async function linkable(host: Host, from: string, to: string): Promise<boolean> {
  const dir = (await Promise.all(stageDirs(to).map((d) => host.stat(d).catch(() => null)))).find((st) => st?.isDirectory);
  const src = await host.stat(from).catch(() => null);
  return Boolean(src && dir && src.isFile && src.dev === dir.dev && src.uid === host.uid);
}

/**
 * The copy step's copy: the one staged ahead of time renamed into place; else, on the same file
 * system, a hard link of `from` at once and a real copy staged meanwhile, renamed over it when the
 * run's steps are done (not before: the launcher resolves its own path while it starts, and a file
 * renamed over it then leaves it a deleted one to run, seen here); else a durable copy now.
 */
export async function placeCopy(host: Host, from: string, to: string, mode: number): Promise<PlacedCopy> {
  const staged = await takeStaged(host, from, to, mode);
  // still the source's copy (same size and mtime: the download was not replaced meanwhile), then renamed over `to`
  // staged above `to`: its directories (journaled by the step) are made as the copy would make them
  const ready = staged && (await host.sameSizeAndMtime(from, staged)) && (dirname(staged) === dirname(to) || (await host.mkdirp(dirname(to), 0o755).then(() => true, () => false)));
  const placed = ready ? await host.commitCopy(staged, to).catch(() => null) : null;
  if (placed) return placed;
  if (staged) await host.dropStaged(staged).catch(() => {});
  if (await host.mkdirp(dirname(to), 0o755).then(() => host.linkFile(from, to)).then(() => true, () => false)) {
    const copy = host.stageCopy(from, to, mode);
    copy.catch(() => {});
    return {
      durable: copy.then(() => {}),
      finish: async (keep) => {
        const file = await copy.catch(() => null);
        if (keep && file) return (await host.commitCopy(file, to)).durable;
        if (file) await host.dropStaged(file).catch(() => {});
      },
    };
  }
  await host.copyFileAtomic(from, to, mode);
  return { durable: Promise.resolve() };
}
