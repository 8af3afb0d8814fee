// The Host's streams: files read and written chunk by chunk, so a 250 MB bundle never sits in
// memory (a download streams to disk while it is hashed; an unpacked entry streams from the
// decompressor to its file), and HTTP GET (http.ts), and a file's SHA-256, and the durable
// copy of a large file (the binary: staged beside its target, possibly ahead of time, then
// renamed into place). Split from files.ts and host.ts to keep each short; like them it is one
// of the Host's own files that touch the file system.
import * as fs from "node:fs/promises";
import { constants as FS, fstatSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { HostError, HostFiles, errCode, syncDir, tempName } from "./files.ts";
import { tryLockExclusive } from "./flock.ts";
import { httpGet, type HttpGetOptions, type HttpResponse } from "./http.ts";

export type { HttpResponse } from "./http.ts";

export interface FileWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** fsync of a file by a descriptor of its own (read-only: the data written through any descriptor goes to disk). */
async function syncFile(path: string): Promise<void> {
  const h = await fs.open(path, FS.O_RDONLY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export class HostStreams extends HostFiles {
  /** Directories which() searches before PATH: the active bundle's bin (set per run, run-context.ts). */
  preferDirs: string[] = [];

  /** The machine's architecture as Node names it (x64, arm64). */
  get arch(): string {
    return process.arch;
  }

  /** GET `url` (through `proxy` when given), without following redirects (http.ts). */
  async httpGet(url: string, opts: HttpGetOptions = {}): Promise<HttpResponse> {
    const { pipeTo, ...res } = await httpGet(url, opts);
    return {
      ...res,
      saveTo: async (path, mode, watch, everyMs) => {
        const fh = await fs.open(this.path(path), "wx", mode).catch((e) => {
          throw new HostError(`cannot create ${path}: ${(e as Error).message}`, path, errCode(e));
        });
        const tick = setInterval(() => watch(fstatSync(fh.fd).size), everyMs);
        try {
          const written = await pipeTo(fh.fd);
          await fh.chmod(mode);
          return written;
        } finally {
          clearInterval(tick);
          await fh.close();
        }
      },
    };
  }

  /** The SHA-256 and size of a file, read through one reused 1 MiB buffer (no garbage per chunk). */
  async sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
    const fh = await fs.open(this.path(path), "r").catch((e) => {
      throw new HostError(`cannot read ${path}: ${(e as Error).message}`, path, errCode(e));
    });
    const hasher = new Bun.CryptoHasher("sha256");
    const buf = new Uint8Array(1 << 20);
    let bytes = 0;
    try {
      for (let n; (n = (await fh.read(buf, 0, buf.length)).bytesRead) > 0; bytes += n) hasher.update(buf.subarray(0, n));
    } finally {
      await fh.close();
    }
    return { sha256: hasher.digest("hex"), bytes };
  }

  /** A new file (O_EXCL: never an existing file or a planted symlink) written chunk by chunk. */
  async createWriter(path: string, mode = 0o644): Promise<FileWriter> {
    const fh = await fs.open(this.path(path), "wx", mode).catch((e) => {
      throw new HostError(`cannot create ${path}: ${(e as Error).message}`, path, errCode(e));
    });
    // Bun's native file sink copies each chunk into its own 256 KiB buffer and writes it out when
    // full: the chunk is garbage at once. When the sink cannot write at once it returns a promise,
    // and write() waits for it, so a caller that awaits each write never runs ahead of the disk.
    const sink = Bun.file(fh.fd).writer({ highWaterMark: 256 << 10 });
    return {
      write: async (chunk) => {
        const pending = sink.write(chunk);
        if (typeof pending !== "number") await pending;
      },
      close: async () => {
        await sink.end();
        await fh.chmod(mode);
        await fh.close();
      },
    };
  }

  /** The file's bytes in chunks of up to 256 KiB (each a new buffer: the consumer may keep it). */
  async *readChunks(path: string): AsyncGenerator<Uint8Array> {
    const fh = await fs.open(this.path(path), "r").catch((e) => {
      throw new HostError(`cannot read ${path}: ${(e as Error).message}`, path, errCode(e));
    });
    try {
      for (;;) {
        const buf = new Uint8Array(1 << 18);
        const { bytesRead } = await fh.read(buf, 0, buf.length);
        if (bytesRead === 0) return;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  }

  /** A hard link `to` of `from` (fails when `to` exists, across file systems, or on a file this user may not link). */
  async linkFile(from: string, to: string): Promise<void> {
    try {
      await fs.link(this.path(from), this.path(to));
    } catch (e) {
      throw new HostError(`cannot link ${to} to ${from}: ${(e as Error).message}`, to, errCode(e));
    }
  }

  /** Copies a file durably (the binary itself), as writeFileAtomic: stageCopy, then commitCopy, then on disk. */
  async copyFileAtomic(from: string, to: string, mode = 0o755): Promise<void> {
    await (await this.commitCopy(await this.stageCopy(from, to, mode), to)).durable;
  }

  /** staged copies this process is still writing or holding (their flock marks them as a live run's) */
  private readonly stagedHeld = new Map<string, fs.FileHandle>();
  /** each staged copy's fsync, started once its bytes are written, on a descriptor of its own (the writer is closed before the file is run) */
  private readonly stagedSyncs = new Map<string, Promise<void>>();

  /**
   * The first half of copyFileAtomic: `from` copied into a new hidden temporary file beside `to`
   * (or in `dir`, a directory above it, while `to`'s own is still to be made; exclusive create, random name), `mode` set exactly, the source's mtime kept (see
   * sameSizeAndMtime), its fsync started (commitCopy's `durable` ends with it). Returns its path; commitCopy puts it in place,
   * dropStaged removes it. Until then this process holds an flock on it: a staged copy nobody
   * holds is one a run that died left behind (removeAbandonedStaged).
   * The copy itself is the kernel's (Bun tries a reflink, then copy_file_range).
   */
  async stageCopy(from: string, to: string, mode = 0o755, dir = dirname(to)): Promise<string> {
    const staged = tempName(join(dir, basename(to)));
    const tmp = this.path(staged);
    let h: fs.FileHandle | undefined;
    try {
      const st = await fs.stat(this.path(from));
      await fs.mkdir(dirname(tmp), { recursive: true, mode: 0o755 });
      h = await fs.open(tmp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600);
      this.stagedHeld.set(staged, h);
      // taken at once; missed only when a run clearing abandoned copies took it first (and removes it)
      if (!tryLockExclusive(h.fd)) throw new Error("another run is removing it");
      if (this.dueToDie("copy-half", `${to} (a copy)`)) await this.dieHalfCopied(from, h);
      await fs.copyFile(this.path(from), tmp);
      await h.utimes(st.atime, st.mtime);
      await h.chmod(mode); // umask narrowed the create mode
      const sync = syncFile(tmp);
      sync.catch(() => {}); // awaited by commitCopy or dropStaged
      this.stagedSyncs.set(staged, sync);
    } catch (e) {
      if (h) await this.dropStaged(staged); // not when the exclusive create failed: the file is not ours
      throw new HostError(`cannot copy ${from} to ${to}: ${(e as Error).message}`, to, errCode(e));
    }
    return staged;
  }

  /** The fault matrix's copy killed halfway: the first half of `from`'s bytes written to the staged file, then SIGKILL. */
  private async dieHalfCopied(from: string, h: fs.FileHandle): Promise<void> {
    const bytes = await fs.readFile(this.path(from));
    await h.write(bytes.subarray(0, bytes.length >> 1));
    this.killSelf();
  }

  /** Closes the staged copy's descriptor (its flock goes with it), when this process still holds it. */
  private async releaseStaged(staged: string): Promise<void> {
    const h = this.stagedHeld.get(staged);
    this.stagedHeld.delete(staged);
    await h?.close().catch(() => {});
  }

  /** Lets go of every staged copy this process still holds, as its end would (a killed run's copies stay, found by the next run). */
  async releaseAllStaged(): Promise<void> {
    await Promise.all([...this.stagedHeld.keys()].map((staged) => this.releaseStaged(staged)));
  }

  /** A staged copy not used: removed, then let go. */
  async dropStaged(staged: string): Promise<void> {
    const syncing = this.stagedSyncs.get(staged);
    this.stagedSyncs.delete(staged);
    await syncing?.catch(() => {}); // the file it writes out goes now
    await fs.rm(this.path(staged), { force: true });
    await this.releaseStaged(staged);
  }

  /**
   * The second half of copyFileAtomic: the staged copy (beside `to` or in a directory above it)
   * renamed over `to`. Resolves once renamed, with `durable`: the copy's bytes and both
   * directories on disk. Waiting for that can come later (a plan waits before its run ends and
   * meanwhile starts the program it placed): a run that crashes in between is rolled back by
   * its journal, which holds the copy's undo from before the rename.
   */
  async commitCopy(staged: string, to: string): Promise<{ durable: Promise<void> }> {
    const from = dirname(staged);
    const above = from === dirname(to) || dirname(to).startsWith(from === "/" ? "/" : `${from}/`);
    if (!above || !basename(staged).startsWith(`.${basename(to)}.`)) throw new HostError(`${staged} is not a staged copy of ${to}`, to);
    // closed first: a program (the installed binary itself) cannot be run while a writer holds it open
    await this.releaseStaged(staged);
    const data = this.stagedSyncs.get(staged) ?? syncFile(this.path(staged));
    this.stagedSyncs.delete(staged);
    try {
      this.testPoint("written", `${to} (a copy)`);
      await fs.rename(this.path(staged), this.path(to));
      this.testPoint("renamed", `${to} (a copy)`);
    } catch (e) {
      await data.catch(() => {});
      throw new HostError(`cannot copy to ${to}: ${(e as Error).message}`, to, errCode(e));
    }
    const durable = Promise.all([data, syncDir(this.path(dirname(to))), from !== dirname(to) ? syncDir(this.path(from)) : undefined]).then(
      () => {},
      (e: Error) => Promise.reject(new HostError(`cannot write ${to} to disk: ${e.message}`, to, errCode(e))),
    );
    durable.catch(() => {}); // the caller waits for it, maybe after other work: never an unhandled rejection meanwhile
    return { durable };
  }

  /**
   * Removes the staged copies of `to` (`.<name>.<12 hex>.tmp` in `dirs`: beside it, and the
   * directories above it a copy is staged in) that no live process holds: left by a run killed
   * while it copied. A copy another run is still staging is held (its flock, taken right after
   * its exclusive create) and kept. Returns the paths removed.
   */
  async removeAbandonedStaged(to: string, dirs = [dirname(to)]): Promise<string[]> {
    const removed: string[] = [];
    for (const dir of dirs) removed.push(...(await this.removeAbandonedIn(dir, `.${basename(to)}.`)));
    return removed;
  }

  private async removeAbandonedIn(dir: string, prefix: string): Promise<string[]> {
    const removed: string[] = [];
    for (const name of (await this.readdir(dir)) ?? []) {
      if (!name.startsWith(prefix) || !/^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length))) continue;
      const file = `${dir === "/" ? "" : dir}/${name}`;
      if (this.stagedHeld.has(file)) continue;
      const h = await fs.open(this.path(file), FS.O_RDONLY | FS.O_NOFOLLOW).catch(() => null);
      if (!h) continue;
      try {
        // held by nobody: its run is gone (removed while locked, so no run can take it meanwhile)
        if (tryLockExclusive(h.fd)) {
          await fs.rm(this.path(file), { force: true });
          removed.push(file);
        }
      } finally {
        await h.close();
      }
    }
    if (removed.length) await syncDir(this.path(dir)).catch(() => {});
    return removed;
  }

  async symlink(target: string, path: string): Promise<void> {
    await fs.symlink(target, this.path(path));
  }
}
