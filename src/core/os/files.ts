// The file half of the Host: every read and write of a file goes through here (and the
// downloads self-update makes). Paths are
// absolute paths of the machine; `root` maps them under a temporary directory in tests.
import * as fs from "node:fs/promises";
import { constants as FS, openSync, closeSync, ftruncateSync, readSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join, basename } from "node:path";
import { tryLockExclusive, unlock } from "./flock.ts";
import { HostKillPoints } from "./kill-points.ts";

/** A lock held on an open file (flock): the kernel drops it when this process dies. */
export interface HeldFileLock {
  /** writes "released" after the holder's content, then unlocks (a run killed meanwhile leaves no such line) */
  release(): void;
  /** what the file said when this lock was taken: the last holder's content */
  previous: string;
}

/** The line a lock's holder adds when it lets go (os/lock.ts: a run that died has none). */
export const RELEASED = "released\n";

/** `.<name>.<random>.tmp` beside the target: unpredictable, created with O_EXCL, never followed. */
export const tempName = (target: string) => join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);

/** fsync(2) of a directory, so a rename or create in it survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, FS.O_RDONLY | FS.O_DIRECTORY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  /** the device (file system) it is on */
  dev: number;
}

/** A failure to read or write a file that is not "it does not exist". */
export class HostError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

export class HostFiles extends HostKillPoints {
  constructor(readonly root: string) {
    super();
  }

  /** Maps an absolute path to where it lives for this host (identity on a real host). */
  path(p: string): string {
    return this.root === "/" ? p : join(this.root, p);
  }

  // ---- files ----------------------------------------------------------------

  /** The file's text, or null when it does not exist. Other failures throw HostError. */
  async readText(path: string): Promise<string | null> {
    try {
      return await fs.readFile(this.path(path), "utf8");
    } catch (e) {
      if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") return null;
      throw new HostError(`cannot read ${path}: ${(e as Error).message}`, path, errCode(e));
    }
  }

  /** lstat: a symlink is reported as a symlink, not followed. Null when missing. */
  async stat(path: string): Promise<FileStat | null> {
    try {
      const s = await fs.lstat(this.path(path));
      return {
        mode: s.mode,
        uid: s.uid,
        gid: s.gid,
        size: s.size,
        isFile: s.isFile(),
        isDirectory: s.isDirectory(),
        isSymlink: s.isSymbolicLink(),
        dev: s.dev,
      };
    } catch (e) {
      if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") return null;
      throw new HostError(`cannot inspect ${path}: ${(e as Error).message}`, path, errCode(e));
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path).catch(() => null)) !== null;
  }

  async readdir(path: string): Promise<string[] | null> {
    try {
      return await fs.readdir(this.path(path));
    } catch (e) {
      if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") return null;
      throw new HostError(`cannot list ${path}: ${(e as Error).message}`, path, errCode(e));
    }
  }

  async canAccess(path: string, mode: "r" | "w" | "x"): Promise<boolean> {
    const flag = mode === "r" ? FS.R_OK : mode === "w" ? FS.W_OK : FS.X_OK;
    try {
      await fs.access(this.path(path), flag);
      return true;
    } catch {
      return false;
    }
  }

  /** What a symbolic link holds, as written (relative or absolute); null when `path` is not a link. */
  async readlink(path: string): Promise<string | null> {
    try {
      return await fs.readlink(this.path(path));
    } catch {
      return null;
    }
  }

  /** Makes `path` a symbolic link holding `target` as written; its directory synced. Fails when `path` exists. */
  async symlink(target: string, path: string): Promise<void> {
    try {
      await fs.symlink(target, this.path(path));
    } catch (e) {
      throw new HostError(`cannot create the link ${path}: ${(e as Error).message}`, path, errCode(e));
    }
    await syncDir(dirname(this.path(path)));
  }

  async realpath(path: string): Promise<string | null> {
    try {
      const real = await fs.realpath(this.path(path));
      return this.root === "/" ? real : real.slice(this.root.length) || "/";
    } catch {
      return null;
    }
  }

  async mkdirp(path: string, mode = 0o755): Promise<void> {
    await fs.mkdir(this.path(path), { recursive: true, mode });
  }

  /**
   * A durable replacement: an exclusive-create temporary file with a random name in the same
   * directory, written and fsync'ed, renamed over the target, then the directory fsync'ed; a
   * reader (or a machine that lost power) sees the old or the new content, never half or
   * none. A file that is replaced keeps its mode and owner (a 0600 config.toml stays 0600);
   * `mode` is for a new file. Refuses to replace a symlink (a link planted where a unit file
   * goes must not redirect the write) or a directory.
   */
  async writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
    const existing = await this.stat(path);
    if (existing?.isSymlink) throw new HostError(`refusing to write ${path}: it is a symbolic link`, path, "ELOOP");
    if (existing?.isDirectory) throw new HostError(`refusing to write ${path}: it is a directory`, path, "EISDIR");
    await this.replaceDurably(path, existing, mode, async (h) => {
      await h.writeFile(content);
    }).catch((e) => {
      throw new HostError(`cannot write ${path}: ${(e as Error).message}`, path, errCode(e));
    });
  }

  private async replaceDurably(path: string, existing: FileStat | null, mode: number, fill: (h: fs.FileHandle) => Promise<void>): Promise<void> {
    const target = this.path(path);
    const dir = dirname(target);
    const made = await fs.mkdir(dir, { recursive: true, mode: 0o755 }); // the first directory it had to make, if any
    const tmp = tempName(target);
    const what = `${path} (${existing ? "replacing a file" : "a new file"}${made ? " in a new directory" : ""})`; // for the kill points' trace
    const h = await fs.open(tmp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600);
    try {
      await fill(h);
      // umask narrowed the create mode; set it exactly (and the owner of the file it replaces)
      await h.chmod(existing?.isFile ? existing.mode & 0o7777 : mode);
      if (existing?.isFile && (existing.uid !== process.getuid!() || existing.gid !== process.getgid!())) {
        await h.chown(existing.uid, existing.gid).catch(() => {});
      }
      await h.sync();
      await h.close();
      this.testPoint("written", what);
      await fs.rename(tmp, target);
      this.testPoint("renamed", what);
    } catch (e) {
      await h.close().catch(() => {});
      await fs.rm(tmp, { force: true });
      throw e;
    }
    await syncDir(dir);
  }

  /**
   * rsync's quick check: both are files of the same size and modification time. Comparing
   * the bytes of a 100 MB binary costs half a second; copyFileAtomic keeps the source's
   * mtime so an unchanged copy is recognised without reading it.
   */
  async sameSizeAndMtime(a: string, b: string): Promise<boolean> {
    const [sa, sb] = await Promise.all([fs.lstat(this.path(a)).catch(() => null), fs.lstat(this.path(b)).catch(() => null)]);
    if (!sa?.isFile() || !sb?.isFile() || sa.size !== sb.size) return false;
    return Math.trunc(sa.mtimeMs) === Math.trunc(sb.mtimeMs);
  }

  /** rename(2): moves a file within one filesystem (used to keep a backup for rollback). */
  async rename(from: string, to: string): Promise<void> {
    await fs.rename(this.path(from), this.path(to));
    this.testPoint("renamed", `${to} (moved aside from ${from})`);
    await syncDir(dirname(this.path(to)));
    if (dirname(from) !== dirname(to)) await syncDir(dirname(this.path(from)));
  }

  /**
   * Takes the exclusive kernel lock on `path` (created 0600 when missing) without waiting;
   * null when another process holds it. On success the file holds `content` (who holds it),
   * for the message another run prints while it waits. The file is never removed: a removed
   * lock file would let two runs lock two different files.
   */
  tryLockFile(path: string, content: string): HeldFileLock | null {
    const file = this.path(path);
    let fd: number;
    try {
      fd = openSync(file, FS.O_RDWR | FS.O_CREAT | FS.O_NOFOLLOW, 0o600); // node opens close-on-exec
    } catch (e) {
      throw new HostError(`cannot open the lock file ${path}: ${(e as Error).message}`, path, errCode(e));
    }
    let locked = false;
    try {
      locked = tryLockExclusive(fd);
    } finally {
      if (!locked) closeSync(fd);
    }
    if (!locked) return null;
    const buf = Buffer.alloc(4096);
    const previous = buf.toString("utf8", 0, readSync(fd, buf, 0, buf.length, 0));
    ftruncateSync(fd, 0);
    writeSync(fd, content, 0);
    return {
      previous,
      release: () => {
        writeSync(fd, RELEASED, Buffer.byteLength(content));
        unlock(fd);
        closeSync(fd);
      },
    };
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    await fs.rm(this.path(path), { force: true, recursive: opts.recursive ?? false });
    await syncDir(dirname(this.path(path))).catch(() => {});
  }

  /** Removes an empty directory; leaves it when it still has entries. */
  async removeEmptyDir(path: string): Promise<void> {
    try {
      await fs.rmdir(this.path(path));
    } catch {
      /* not empty or missing: keep it */
    }
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    await fs.chown(this.path(path), uid, gid);
  }

  async chmod(path: string, mode: number): Promise<void> {
    await fs.chmod(this.path(path), mode);
  }

  // ---- downloads (self-update) ---------------------------------------------

  /** The bytes at an http(s) URL, or null on 404; other failures throw HostError. */
  async fetchBytes(url: string): Promise<Uint8Array | null> {
    const res = await fetch(url, { redirect: "follow" }).catch((e) => {
      throw new HostError(`cannot download ${url}: ${(e as Error).message}`, url);
    });
    if (res.status === 404) return null;
    if (!res.ok) throw new HostError(`cannot download ${url}: HTTP ${res.status}`, url);
    return new Uint8Array(await res.arrayBuffer());
  }

  async readBytes(path: string): Promise<Uint8Array | null> {
    return fs.readFile(this.path(path)).then((b) => new Uint8Array(b), (e) => (errCode(e) === "ENOENT" ? null : Promise.reject(new HostError(`cannot read ${path}: ${(e as Error).message}`, path, errCode(e)))));
  }
}
