// A Host over a temporary directory with scripted programs, for unit tests of decisions.
// Files are real (under a temp root that stands for "/"); processes are answered by
// handlers keyed by program name ("rootlesskit") or full path ("/usr/local/bin/rootlesskit").
import { mkdtemp, mkdir, writeFile, chmod, chown, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, basename } from "node:path";
import { Host, type Env, type RunOptions, type RunResult, type StopSignal } from "../../src/core/os/host.ts";

export type Handler = (argv: string[], opts: RunOptions) => RunResult | Promise<RunResult>;

export interface TestHostOptions {
  env?: Env;
  uid?: number;
  gid?: number;
  /** absolute path -> content (or content and mode) created under the temp root */
  files?: Record<string, string | { content: string; mode?: number }>;
  /** directories to create */
  dirs?: string[];
  commands?: Record<string, Handler>;
  stdinIsTTY?: boolean;
  /** stdout and stderr are a terminal (colours) */
  outputIsTTY?: boolean;
  execPath?: string;
}

export const ok = (stdout = "", stderr = ""): RunResult => ({ code: 0, stdout, stderr });
export const failed = (stderr = "", code = 1, stdout = ""): RunResult => ({ code, stdout, stderr });

export class TestHost extends Host {
  readonly calls: string[][] = [];
  out = "";
  err = "";
  commands: Record<string, Handler>;

  constructor(root: string, opts: TestHostOptions) {
    super({
      root,
      env: opts.env ?? { HOME: "/home/alice", USER: "alice", XDG_RUNTIME_DIR: "/run/user/1000", PATH: "/usr/bin:/bin" },
      uid: opts.uid ?? 1000,
      gid: opts.gid ?? 1000,
      execPath: opts.execPath ?? "/home/alice/Downloads/containerd-rootless-systemd",
      scriptPath: undefined,
      stdinIsTTY: opts.stdinIsTTY ?? false,
      stdoutIsTTY: opts.outputIsTTY ?? false,
      stderrIsTTY: opts.outputIsTTY ?? false,
    });
    this.commands = opts.commands ?? {};
  }

  private handlerFor(name: string): [string, Handler] | undefined {
    if (this.commands[name]) return [name.includes("/") ? name : `/usr/bin/${name}`, this.commands[name]!];
    for (const [key, h] of Object.entries(this.commands)) {
      if (key.includes("/") && basename(key) === basename(name)) return [key, h];
    }
    // a full path to a program keyed by its bare name (as which() reported it)
    const bare = basename(name);
    if (name === `/usr/bin/${bare}` && this.commands[bare]) return [name, this.commands[bare]!];
    return undefined;
  }

  override async which(name: string): Promise<string | null> {
    return this.handlerFor(name)?.[0] ?? null;
  }

  override async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push(argv);
    const found = this.handlerFor(argv[0]!);
    if (!found) return { code: 127, stdout: "", stderr: `${argv[0]}: command not found` };
    return found[1](argv, opts);
  }

  override async runInherit(argv: string[], opts: RunOptions = {}): Promise<number> {
    const r = await this.run(argv, opts);
    this.out += r.stdout;
    this.err += r.stderr;
    return r.code;
  }

  override writeOut(text: string): void {
    this.out += text;
  }
  override writeErr(text: string): void {
    this.err += text;
  }
  override async sleep(_ms: number): Promise<void> {
    await Bun.sleep(1);
  }

  private readonly stopHandlers = new Set<(signal: StopSignal) => void>();

  override onStopSignal(handler: (signal: StopSignal) => void): () => void {
    this.stopHandlers.add(handler);
    return () => void this.stopHandlers.delete(handler);
  }

  /** Delivers `signal` as the OS would; false when nothing listens (a real process would have died). */
  fireSignal(signal: StopSignal = "SIGINT"): boolean {
    for (const h of [...this.stopHandlers]) h(signal);
    return this.stopHandlers.size > 0;
  }

  private readonly closers: (() => void | Promise<void>)[] = [];

  /** Runs `close` at cleanup (a server a test started on a socket under the root). */
  atCleanup(close: () => void | Promise<void>): void {
    this.closers.push(close);
  }

  async cleanup(): Promise<void> {
    for (const close of this.closers.splice(0)) await close();
    // a run a test "killed" mid-plan may still hold a copy it was staging: let go of it as a dead process would
    await this.releaseAllStaged();
    await rm(this.root, { recursive: true, force: true });
  }
}

/**
 * A real listener on the unix socket at `path` (under the host's root) that accepts and closes
 * each connection: "something listens there", e.g. the user manager's $XDG_RUNTIME_DIR/systemd/private
 * (the bus reader then gets no answer and systemctl is asked, as the scripted one is). Returns its stop.
 */
export async function listenUnix(host: Host, path: string): Promise<() => void> {
  await mkdir(dirname(host.path(path)), { recursive: true });
  await rm(host.path(path), { force: true }); // a stale file there goes, as a real listener's bind needs
  const server = Bun.listen({ unix: host.path(path), socket: { open: (s) => void s.end(), data() {} } });
  return () => server.stop(true);
}

export async function makeTestHost(opts: TestHostOptions = {}): Promise<TestHost> {
  const root = await mkdtemp(join(tmpdir(), "crs-test-"));
  for (const d of opts.dirs ?? []) await mkdir(join(root, d), { recursive: true });
  for (const [path, spec] of Object.entries(opts.files ?? {})) {
    const { content, mode } = typeof spec === "string" ? { content: spec, mode: undefined } : spec;
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
    if (mode !== undefined) await chmod(join(root, path), mode);
  }
  // the runtime directory is the user's own and private, as logind makes it (the lock requires it)
  const uid = opts.uid ?? 1000;
  await mkdir(join(root, `/run/user/${uid}`), { recursive: true });
  await chown(join(root, `/run/user/${uid}`), uid, opts.gid ?? 1000).catch(() => {});
  await chmod(join(root, `/run/user/${uid}`), 0o700);
  return new TestHost(root, opts);
}
