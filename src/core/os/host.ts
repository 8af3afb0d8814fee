// The only door to the operating system: files (files.ts), processes, environment,
// ids and the terminal. Everything else receives a Host, so every decision can be tested on
// a temporary directory (see test/helpers/test-host.ts) with scripted processes.
import { passwdFilesFirst, passwdName } from "./passwd.ts";
import { errCode } from "./files.ts";
import { parseKillPoint } from "./kill-points.ts";
import { HostProcesses } from "./processes.ts";
import { sleepUnlessAborted } from "./wait.ts";

export { HostError, type FileStat } from "./files.ts";
export type { RunResult, RunOptions, RunningProcess } from "./processes.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** The signals that ask a run to stop: Ctrl+C, a service manager's or fleet tool's stop, a closed terminal. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

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

export class Host extends HostProcesses {
  readonly env: Env;
  readonly uid: number;
  readonly gid: number;
  readonly execPath: string;
  readonly scriptPath: string | undefined;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;

  constructor(opts: HostOptions = {}) {
    super(opts.root ?? "/");
    this.env = opts.env ?? process.env;
    this.uid = opts.uid ?? process.getuid!();
    this.gid = opts.gid ?? process.getgid!();
    this.execPath = opts.execPath ?? process.execPath;
    this.scriptPath = "scriptPath" in opts ? opts.scriptPath : detectScriptPath();
    this.stdinIsTTY = opts.stdinIsTTY ?? Boolean(process.stdin.isTTY);
    this.stdoutIsTTY = opts.stdoutIsTTY ?? Boolean(process.stdout.isTTY);
    this.stderrIsTTY = opts.stderrIsTTY ?? Boolean(process.stderr.isTTY);
    this.killInside = parseKillPoint(this.env.CRS_TEST_KILL_INSIDE);
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

  /**
   * Calls `handler` when SIGINT, SIGTERM or SIGHUP arrives, instead of the process dying;
   * returns the function that unsubscribes (and restores dying once nobody listens).
   */
  onStopSignal(handler: (signal: StopSignal) => void): () => void {
    for (const s of STOP_SIGNALS) process.on(s, handler);
    return () => {
      for (const s of STOP_SIGNALS) process.off(s, handler);
    };
  }

  /** The command line this run was started with, without the program ("install --yes"): named in the journal. */
  get commandLine(): string {
    return process.argv.slice(2).join(" ");
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
      return await new Promise<string>((resolve) => {
        rl.once("line", resolve);
        rl.once("close", () => resolve(""));
      });
    } finally {
      rl.close();
    }
  }

  /**
   * True when a listener accepts a connection on the unix socket at `path`. Only that: a
   * connection refused or reset is false, and accepting says nothing about the protocol (use
   * unixSocketExchange for an answer to a real request).
   */
  async unixSocketAccepts(path: string, timeoutMs = 1000): Promise<boolean> {
    return (await this.unixSocketExchange(path, new Uint8Array(0), { timeoutMs, done: () => true })) !== null;
  }

  /**
   * Connects to the unix socket at `path`, writes `request` (then what `more(received)` returns as data comes), and collects what comes
   * back until `done(received)` holds, the peer closes, or `timeoutMs` passes. Null when the connection failed (absent, refused, reset before anything was received).
   */
  async unixSocketExchange(path: string, request: Uint8Array, opts: { timeoutMs: number; done: (received: Uint8Array) => boolean; more?: (received: Uint8Array) => Uint8Array | null }): Promise<Uint8Array | null> {
    if (!(await this.exists(path))) return null;
    let received = new Uint8Array(0);
    let settle: (v: Uint8Array | null) => void = () => {};
    const result = new Promise<Uint8Array | null>((resolve) => (settle = resolve));
    let socket: { end(): void } | undefined;
    let finished = false;
    const finish = (v: Uint8Array | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket?.end();
      settle(v);
    };
    const timer = setTimeout(() => finish(received.length ? received : null), opts.timeoutMs).unref();
    Bun.connect({
      unix: this.path(path),
      socket: {
        open(s) {
          socket = s;
          if (opts.done(received)) return finish(received);
          if (request.length) s.write(request);
        },
        data(s, chunk) {
          const next = new Uint8Array(received.length + chunk.length);
          next.set(received);
          next.set(chunk, received.length);
          received = next;
          const more = opts.more?.(received);
          if (more?.length) s.write(more);
          if (opts.done(received)) finish(received);
        },
        close() {
          finish(received.length ? received : null);
        },
        error() {
          finish(received.length ? received : null);
        },
        connectError() {
          finish(null);
        },
      },
    }).catch(() => finish(null));
    return result;
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

  sleep(ms: number, cancel?: AbortSignal): Promise<void> {
    return cancel ? sleepUnlessAborted(ms, cancel) : Bun.sleep(ms);
  }

  /**
   * The login name of the running uid as getpwuid(3) sees it: /etc/passwd when NSS reads it
   * first (os/passwd.ts: no process), else `getent passwd UID` (which asks NSS, so LDAP and
   * SSSD users are found), then `id -un`, then /etc/passwd, then $USER.
   */
  async userName(): Promise<string> {
    const [nsswitch, passwd] = await Promise.all(["/etc/nsswitch.conf", "/etc/passwd"].map((f) => this.readText(f).catch(() => null)));
    const local = passwdFilesFirst(nsswitch) ? passwdName(passwd, this.uid) : undefined;
    if (local) return local;
    const getent = await this.run(["getent", "passwd", String(this.uid)], { timeoutMs: 5000 }).catch(() => null);
    const fromNss = getent?.code === 0 ? getent.stdout.split(":")[0]?.trim() : undefined;
    if (fromNss) return fromNss;
    const id = await this.run(["id", "-un"], { timeoutMs: 5000 }).catch(() => null);
    if (id?.code === 0 && id.stdout.trim()) return id.stdout.trim();
    return passwdName(passwd, this.uid) ?? this.env.USER ?? this.env.LOGNAME ?? String(this.uid);
  }
}

function detectScriptPath(): string | undefined {
  // When compiled, Bun.main lives under /$bunfs/; from source it is the .ts entry.
  const main = Bun.main;
  return main && !main.startsWith("/$bunfs/") && !main.startsWith("B:/~BUN/") ? main : undefined;
}
