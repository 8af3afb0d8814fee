// The file half of the Host: every read and write of a file goes through here. Paths are
// absolute paths of the machine; `root` maps them under a temporary directory in tests.
import * as fs from "node:fs/promises";
import { constants as FS } from "node:fs";
import { dirname, join, basename } from "node:path";

export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
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

export class HostFiles {
  constructor(readonly root: string) {}

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
   * Writes through a temporary file in the same directory and a rename, so a reader sees
   * the old or the new content, never half. Refuses to replace a symlink: a link planted
   * where a unit file goes must not redirect the write.
   */
  async writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
    const target = this.path(path);
    const existing = await this.stat(path);
    if (existing?.isSymlink) {
      throw new HostError(`refusing to write ${path}: it is a symbolic link`, path, "ELOOP");
    }
    if (existing?.isDirectory) {
      throw new HostError(`refusing to write ${path}: it is a directory`, path, "EISDIR");
    }
    await fs.mkdir(dirname(target), { recursive: true, mode: 0o755 });
    const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    try {
      await fs.writeFile(tmp, content, { mode, flag: "wx" });
      await fs.chmod(tmp, mode);
      await fs.rename(tmp, target);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw new HostError(`cannot write ${path}: ${(e as Error).message}`, path, errCode(e));
    }
  }

  /** Copies a file atomically (used to install the binary itself). */
  async copyFileAtomic(from: string, to: string, mode = 0o755): Promise<void> {
    const target = this.path(to);
    await fs.mkdir(dirname(target), { recursive: true, mode: 0o755 });
    const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    try {
      await fs.copyFile(this.path(from), tmp);
      await fs.chmod(tmp, mode);
      const src = await fs.stat(this.path(from));
      await fs.utimes(tmp, src.atime, src.mtime); // keep the mtime: see sameSizeAndMtime
      await fs.rename(tmp, target);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw new HostError(`cannot copy ${from} to ${to}: ${(e as Error).message}`, to, errCode(e));
    }
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
  }

  /**
   * Creates a file only if it does not exist yet (O_EXCL), with `content`. False when it
   * already exists. Used for the lock file.
   */
  async createExclusive(path: string, content: string, mode = 0o600): Promise<boolean> {
    await fs.mkdir(dirname(this.path(path)), { recursive: true, mode: 0o700 });
    try {
      await fs.writeFile(this.path(path), content, { mode, flag: "wx" });
      return true;
    } catch (e) {
      if (errCode(e) === "EEXIST") return false;
      throw new HostError(`cannot create ${path}: ${(e as Error).message}`, path, errCode(e));
    }
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    await fs.rm(this.path(path), { force: true, recursive: opts.recursive ?? false });
  }

  /** Removes an empty directory; leaves it when it still has entries. */
  async removeEmptyDir(path: string): Promise<void> {
    try {
      await fs.rmdir(this.path(path));
    } catch {
      /* not empty or missing: keep it */
    }
  }

  async chmod(path: string, mode: number): Promise<void> {
    await fs.chmod(this.path(path), mode);
  }
}
