// The Host's streams: files read and written chunk by chunk, so a 250 MB bundle never sits in
// memory (a download streams to disk while it is hashed; an unpacked entry streams from the
// decompressor to its file), and HTTP GET (http.ts), and a file's SHA-256, and the durable
// copy of a large file (the binary: staged beside its target, possibly ahead of time, then
// renamed into place). Split from files.ts and host.ts to keep each short; like them it is one
// of the Host's own files that touch the file system.
import * as fs from "node:fs/promises";
import { constants as FS, fstatSync } from "node:fs";
import { basename, dirname } from "node:path";
import { HostError, HostFiles, errCode, syncDir, tempName } from "./files.ts";
import { httpGet, type HttpGetOptions, type HttpResponse } from "./http.ts";

export type { HttpResponse } from "./http.ts";

export interface FileWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
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

  /** Copies a file durably (the binary itself), as writeFileAtomic: stageCopy, then commitCopy. */
  async copyFileAtomic(from: string, to: string, mode = 0o755): Promise<void> {
    await this.commitCopy(await this.stageCopy(from, to, mode), to);
  }

  /**
   * The first half of copyFileAtomic: `from` copied into a new hidden temporary file beside `to`
   * (exclusive create, random name), `mode` set exactly, the source's mtime kept (see
   * sameSizeAndMtime), written to disk (fsync). Returns its path; commitCopy puts it in place.
   * The copy itself is the kernel's (Bun tries a reflink, then copy_file_range).
   */
  async stageCopy(from: string, to: string, mode = 0o755): Promise<string> {
    const staged = tempName(to);
    const tmp = this.path(staged);
    try {
      const st = await fs.stat(this.path(from));
      await fs.mkdir(dirname(tmp), { recursive: true, mode: 0o755 });
      const h = await fs.open(tmp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600);
      try {
        await fs.copyFile(this.path(from), tmp);
        await h.utimes(st.atime, st.mtime);
        await h.chmod(mode); // umask narrowed the create mode
        await h.sync();
      } finally {
        await h.close();
      }
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw new HostError(`cannot copy ${from} to ${to}: ${(e as Error).message}`, to, errCode(e));
    }
    return staged;
  }

  /** The second half of copyFileAtomic: the staged copy renamed over `to`, the directory fsync'ed. */
  async commitCopy(staged: string, to: string): Promise<void> {
    if (dirname(staged) !== dirname(to) || !basename(staged).startsWith(`.${basename(to)}.`)) throw new HostError(`${staged} is not a staged copy of ${to}`, to);
    try {
      await fs.rename(this.path(staged), this.path(to));
    } catch (e) {
      throw new HostError(`cannot copy to ${to}: ${(e as Error).message}`, to, errCode(e));
    }
    await syncDir(this.path(dirname(to)));
  }

  async symlink(target: string, path: string): Promise<void> {
    await fs.symlink(target, this.path(path));
  }
}
