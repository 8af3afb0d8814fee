// The only door to the operating system: files, processes, environment and ids.
// Everything else receives a Host, so every decision can be tested on a temporary
// directory (see test/helpers/test-host.ts) with scripted processes.
import * as fs from "node:fs/promises";
import { constants as FS } from "node:fs";
import { dirname, join, basename } from "node:path";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra variables merged over the host environment (or the whole environment with `cleanEnv`). */
  env?: Record<string, string | undefined>;
  cleanEnv?: boolean;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface HostOptions {
  /** Directory that stands for "/" (tests); defaults to the real root. */
  root?: string;
  env?: Env;
  uid?: number;
  gid?: number;
  /** Path of the running executable (the compiled binary or `bun`). */
  execPath?: string;
  /** The script path when running from source (`bun src/cli.ts`). */
  scriptPath?: string;
  stdinIsTTY?: boolean;
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
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

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

export class Host {
  readonly root: string;
  readonly env: Env;
  readonly uid: number;
  readonly gid: number;
  readonly execPath: string;
  readonly scriptPath: string | undefined;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;

  constructor(opts: HostOptions = {}) {
    this.root = opts.root ?? "/";
    this.env = opts.env ?? process.env;
    this.uid = opts.uid ?? process.getuid!();
    this.gid = opts.gid ?? process.getgid!();
    this.execPath = opts.execPath ?? process.execPath;
    this.scriptPath = "scriptPath" in opts ? opts.scriptPath : detectScriptPath();
    this.stdinIsTTY = opts.stdinIsTTY ?? Boolean(process.stdin.isTTY);
    this.stdoutIsTTY = opts.stdoutIsTTY ?? Boolean(process.stdout.isTTY);
    this.stderrIsTTY = opts.stderrIsTTY ?? Boolean(process.stderr.isTTY);
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

  /** Whether a process with this PID exists (signal 0; EPERM means it exists but is not ours). */
  pidAlive(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return errCode(e) === "EPERM";
    }
  }

  /** Our own process id (written into the lock file). */
  get pid(): number {
    return process.pid;
  }

  /** Everything on standard input (`apply -f -`). */
  async readStdin(): Promise<string> {
    return await Bun.stdin.text();
  }

  /** Asks a question on the terminal and returns the answer line ("" on end of input). */
  async ask(question: string): Promise<string> {
    process.stdout.write(question);
    const { createInterface } = await import("node:readline");
    const rl = createInterface({ input: process.stdin, terminal: false });
    try {
      const line = await new Promise<string>((resolve) => {
        rl.once("line", resolve);
        rl.once("close", () => resolve(""));
      });
      return line;
    } finally {
      rl.close();
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

  /** True when something accepts a connection on the unix socket at `path` (a daemon answering). */
  async unixSocketAccepts(path: string, timeoutMs = 1000): Promise<boolean> {
    if (!(await this.exists(path))) return false;
    const attempt = new Promise<boolean>((resolve) => {
      Bun.connect({
        unix: this.path(path),
        socket: {
          open(s) {
            s.end();
            resolve(true);
          },
          data() {},
          error() {
            resolve(false);
          },
          // ECONNRESET: a listener accepted the connection and closed it at once; it answers
          connectError(_s, e) {
            resolve((e as NodeJS.ErrnoException)?.code === "ECONNRESET");
          },
        },
      }).catch((e) => resolve((e as NodeJS.ErrnoException)?.code === "ECONNRESET"));
    });
    const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref?.());
    return Promise.race([attempt, timer]);
  }

  // ---- processes ------------------------------------------------------------

  /** Finds an executable on PATH (the host's PATH, not ours). */
  async which(name: string): Promise<string | null> {
    if (name.includes("/")) return (await this.canAccess(name, "x")) ? name : null;
    for (const dir of (this.env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":")) {
      if (!dir) continue;
      const candidate = join(dir, name);
      const st = await this.stat(candidate).catch(() => null);
      if (st && !st.isDirectory && (await this.canAccess(candidate, "x"))) return candidate;
    }
    return null;
  }

  private spawnEnv(opts: RunOptions): Record<string, string> {
    const base = opts.cleanEnv ? {} : this.env;
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...base, ...opts.env })) if (v !== undefined) merged[k] = v;
    return merged;
  }

  /** Runs a program to completion and collects its output. A missing program is exit 127. */
  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    let proc;
    try {
      proc = Bun.spawn(argv, {
        env: this.spawnEnv(opts),
        cwd: opts.cwd,
        stdin: opts.input !== undefined ? new Blob([opts.input]) : "ignore",
        stdout: "pipe",
        stderr: "pipe",
        timeout: opts.timeoutMs,
        killSignal: "SIGKILL",
      });
    } catch (e) {
      return { code: 127, stdout: "", stderr: `${argv[0]}: ${(e as Error).message}` };
    }
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (proc.signalCode && opts.timeoutMs) {
      return { code: 124, stdout, stderr: stderr + `\n${argv[0]}: timed out after ${opts.timeoutMs} ms` };
    }
    return { code, stdout, stderr };
  }

  /** Runs a program attached to our terminal; returns its exit code. */
  async runInherit(argv: string[], opts: RunOptions = {}): Promise<number> {
    try {
      const proc = Bun.spawn(argv, {
        env: this.spawnEnv(opts),
        cwd: opts.cwd,
        stdio: ["inherit", "inherit", "inherit"],
      });
      return await proc.exited;
    } catch (e) {
      this.writeErr(`${argv[0]}: ${(e as Error).message}\n`);
      return 127;
    }
  }

  // ---- terminal and time ----------------------------------------------------

  writeOut(text: string): void {
    process.stdout.write(text);
  }

  writeErr(text: string): void {
    process.stderr.write(text);
  }

  /** The current working directory (nsenter's --wd). */
  cwd(): string {
    return process.cwd();
  }

  now(): number {
    return performance.now();
  }

  sleep(ms: number): Promise<void> {
    return Bun.sleep(ms);
  }

  /** The login name of the running uid: $USER when it matches, else /etc/passwd. */
  async userName(): Promise<string> {
    const passwd = (await this.readText("/etc/passwd").catch(() => null)) ?? "";
    for (const line of passwd.split("\n")) {
      const f = line.split(":");
      if (f.length >= 3 && Number(f[2]) === this.uid) return f[0]!;
    }
    return this.env.USER ?? this.env.LOGNAME ?? String(this.uid);
  }
}

function detectScriptPath(): string | undefined {
  // When compiled, Bun.main lives under /$bunfs/; from source it is the .ts entry.
  const main = Bun.main;
  return main && !main.startsWith("/$bunfs/") && !main.startsWith("B:/~BUN/") ? main : undefined;
}
