// A throwaway unprivileged user with a real `systemd --user` manager, on machines whose
// PID 1 is not systemd (see shared/reference/sandbox.md). Used by the end-to-end tests and
// by `npm start` when run as root. Needs root.
//
//   bun scripts/sandbox.ts shell [NAME]     create (or reuse) NAME and open a login-like shell as it
//   bun scripts/sandbox.ts run NAME -- CMD  run CMD as NAME
//   bun scripts/sandbox.ts destroy NAME     tear it down
import { mkdirSync, writeFileSync, chmodSync, existsSync, copyFileSync, chownSync, rmSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface SandboxRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunAsOptions {
  env?: Record<string, string>;
  /** replace the default environment entirely (still as the user) */
  cleanEnv?: boolean;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

export const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const CGROUP_HIERARCHIES = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"];

function sh(argv: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): SandboxRun {
  const p = Bun.spawnSync(argv, {
    stdin: opts.input !== undefined ? new TextEncoder().encode(opts.input) : "ignore",
    env: opts.env ?? (process.env as Record<string, string>),
    timeout: opts.timeoutMs ?? 120_000,
    cwd: opts.cwd,
  });
  return { code: p.exitCode ?? 128, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

function must(argv: string[]): string {
  const r = sh(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * useradd/userdel, retried while another one holds /etc/passwd's lock (exit 10 for useradd,
 * 10 for userdel too), so that several suites may create their users at the same time; and
 * userdel while a process of the user is still going away (exit 8, "currently used by
 * process"), after `beforeRetry` (which kills them again).
 */
async function accountsChange(argv: string[], beforeRetry?: () => void): Promise<void> {
  let last: SandboxRun | undefined;
  for (let i = 0; i < 100; i++) {
    last = sh(argv);
    if (last.code === 0) return;
    if (beforeRetry && /currently used by process/i.test(last.stderr)) beforeRetry();
    else if (!/lock/i.test(last.stderr)) break;
    await Bun.sleep(100);
  }
  throw new Error(`${argv.join(" ")} failed (${last?.code}): ${last?.stderr || last?.stdout}`);
}

/** Waits for a condition, polling; throws with `what` after the deadline. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 25): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await cond()) return;
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** What the machine needs once, as root, for any sandbox: device modes, /run/systemd/system, /run/user 0755 as logind makes it. */
export function prepareMachine(): void {
  for (const dev of ["/dev/net/tun", "/dev/fuse"]) if (existsSync(dev)) chmodSync(dev, 0o666);
  mkdirSync("/run/systemd/system", { recursive: true });
  mkdirSync("/run/user", { recursive: true, mode: 0o755 });
}

export class Sandbox {
  readonly home: string;
  readonly runtimeDir: string;

  constructor(
    readonly user: string,
    readonly uid: number,
    readonly gid: number,
  ) {
    this.home = `/home/${user}`;
    this.runtimeDir = `/run/user/${uid}`;
  }

  /** The environment a login session would give the user. */
  baseEnv(): Record<string, string> {
    return {
      PATH: SANDBOX_PATH,
      HOME: this.home,
      USER: this.user,
      LOGNAME: this.user,
      SHELL: "/bin/sh",
      LANG: "C.UTF-8",
      XDG_RUNTIME_DIR: this.runtimeDir,
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${this.runtimeDir}/bus`,
    };
  }

  private argvAs(argv: string[], opts: RunAsOptions): string[] {
    const env = { ...(opts.cleanEnv ? {} : this.baseEnv()), ...opts.env };
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    return ["runuser", "-u", this.user, "--", "env", "-i", ...envArgs, ...argv];
  }

  /** Runs a command as the user (synchronously) from their home directory. */
  run(argv: string[], opts: RunAsOptions = {}): SandboxRun {
    return sh(this.argvAs(argv, opts), { input: opts.input, timeoutMs: opts.timeoutMs, cwd: opts.cwd ?? this.home });
  }

  /** Runs a command as the user without blocking the event loop (for concurrency tests). */
  async runAsync(argv: string[], opts: RunAsOptions = {}): Promise<SandboxRun> {
    const p = Bun.spawn(this.argvAs(argv, opts), {
      stdin: opts.input !== undefined ? new Blob([opts.input]) : "ignore",
      stdout: "pipe",
      stderr: "pipe",
      cwd: opts.cwd ?? this.home,
      timeout: opts.timeoutMs ?? 120_000,
    });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  }

  systemctl(...args: string[]): SandboxRun {
    return this.run(["systemctl", "--user", ...args]);
  }

  managerRunning(): boolean {
    return this.systemctl("show-environment").code === 0;
  }

  /** Copies a binary into the user's ~/Downloads (owned by them) and returns its path. */
  installBinary(src: string, name = "containerd-rootless-systemd"): string {
    const dir = join(this.home, "Downloads");
    mkdirSync(dir, { recursive: true });
    chownSync(dir, this.uid, this.gid);
    const dest = join(dir, name);
    copyFileSync(src, dest);
    chmodSync(dest, 0o755);
    chownSync(dest, this.uid, this.gid);
    return dest;
  }

  /** Writes a file as owned by the user, and the directories it had to make (a root-owned ~/.config would refuse the user's own runs). */
  writeFile(path: string, content: string, mode = 0o644): void {
    const made = mkdirSync(join(path, ".."), { recursive: true }); // the first directory made, if any
    writeFileSync(path, content, { mode });
    sh(["chown", "-R", `${this.uid}:${this.gid}`, made ?? path]);
  }

  /** PIDs of every process of this uid. */
  pids(): number[] {
    const r = sh(["pgrep", "-u", String(this.uid)]);
    return r.stdout.split("\n").filter(Boolean).map(Number);
  }

  /** Command names of the processes in a cgroup of the user's manager (e.g. the containerd service). */
  unitProcesses(unit: string): string[] {
    const base = `/sys/fs/cgroup/systemd/user.slice/user-${this.uid}.slice/user@${this.uid}.service`;
    const out: string[] = [];
    for (const dir of [join(base, "app.slice", unit), join(base, unit)]) {
      const procs = join(dir, "cgroup.procs");
      if (!existsSync(procs)) continue;
      for (const pid of readFileSync(procs, "utf8").split("\n").filter(Boolean)) {
        try {
          out.push(readFileSync(`/proc/${pid}/comm`, "utf8").trim());
        } catch {
          /* exited meanwhile */
        }
      }
    }
    return out;
  }

  /** Starts the user's systemd manager in cgroups it owns, and waits until it answers. */
  async startManager(): Promise<void> {
    if (this.managerRunning()) return;
    const cgroups = CGROUP_HIERARCHIES.map((h) => `${h}/user.slice/user-${this.uid}.slice/user@${this.uid}.service`);
    for (const cg of cgroups) {
      mkdirSync(cg, { recursive: true });
      must(["chown", "-R", `${this.user}:`, cg]);
    }
    const script = [
      ...cgroups.map((cg) => `echo $$ > ${cg}/cgroup.procs`),
      `exec runuser -u ${this.user} -- env -i PATH=${SANDBOX_PATH} HOME=${this.home} USER=${this.user} LOGNAME=${this.user} XDG_RUNTIME_DIR=${this.runtimeDir} /lib/systemd/systemd --user`,
    ].join("\n");
    const p = Bun.spawn(["setsid", "sh", "-c", script], { stdin: "ignore", stdout: "ignore", stderr: "ignore", detached: true } as never);
    p.unref();
    await waitFor(`systemd --user of ${this.user}`, () => this.managerRunning(), 20_000, 50);
  }

  /** Stops the manager (as a user whose session ended would). */
  async stopManager(): Promise<void> {
    if (!this.managerRunning()) return;
    this.systemctl("exit");
    await waitFor(`systemd --user of ${this.user} to exit`, () => sh(["pgrep", "-u", String(this.uid), "-x", "systemd"]).code !== 0, 20_000, 50).catch(() => {
      sh(["pkill", "-KILL", "-u", String(this.uid), "-x", "systemd"]);
    });
  }

  async destroy(): Promise<void> {
    await destroySandbox(this.user);
  }
}

function lookupUser(name: string): { uid: number; gid: number } | null {
  const r = sh(["id", "-u", name]);
  if (r.code !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(must(["id", "-g", name]).trim()) };
}

/** Creates a fresh user NAME (removing an old one of that name) with a running user manager. */
export async function createSandbox(name: string): Promise<Sandbox> {
  if (process.getuid!() !== 0) throw new Error("the sandbox needs root (it creates a user)");
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) throw new Error(`bad sandbox user name: ${name}`);
  await destroySandbox(name);
  prepareMachine();
  await accountsChange(["useradd", "-m", "-s", "/bin/sh", name]);
  const ids = lookupUser(name)!;
  const sb = new Sandbox(name, ids.uid, ids.gid);
  mkdirSync(sb.runtimeDir, { recursive: true, mode: 0o700 });
  chownSync(sb.runtimeDir, ids.uid, ids.gid);
  chmodSync(sb.runtimeDir, 0o700);
  await sb.startManager();
  return sb;
}

/** Returns the existing sandbox NAME (starting its manager if needed), or creates it. */
export async function openSandbox(name: string): Promise<Sandbox> {
  const ids = lookupUser(name);
  if (!ids) return createSandbox(name);
  prepareMachine();
  const sb = new Sandbox(name, ids.uid, ids.gid);
  mkdirSync(sb.runtimeDir, { recursive: true, mode: 0o700 });
  chownSync(sb.runtimeDir, ids.uid, ids.gid);
  await sb.startManager();
  return sb;
}

/** Tears a sandbox down: manager, processes, cgroups, runtime dir, user and home. */
export async function destroySandbox(name: string): Promise<void> {
  const ids = lookupUser(name);
  if (!ids) return;
  const sb = new Sandbox(name, ids.uid, ids.gid);
  await sb.stopManager().catch(() => {});
  sh(["pkill", "-KILL", "-u", String(ids.uid)]);
  await waitFor(`processes of ${name} to end`, () => sh(["pgrep", "-u", String(ids.uid)]).code !== 0, 10_000, 50).catch(() => {});
  for (const h of CGROUP_HIERARCHIES) {
    const slice = `${h}/user.slice/user-${ids.uid}.slice`;
    if (existsSync(slice)) sh(["find", slice, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"]);
  }
  rmSync(sb.runtimeDir, { recursive: true, force: true });
  // Files under the home owned by sub-uids (containerd data) are removed by root here.
  // a user left behind would make the next useradd of this name fail ("already exists")
  await accountsChange(["userdel", "-r", name], () => sh(["pkill", "-KILL", "-u", String(ids.uid)])).catch(() => {});
  rmSync(sb.home, { recursive: true, force: true });
  rmSync(`/var/lib/systemd/linger/${name}`, { force: true });
}

// ---- command line ---------------------------------------------------------------

async function cli(argv: string[]): Promise<number> {
  const [verb, name = "crs-demo", ...rest] = argv;
  switch (verb) {
    case "shell": {
      const sb = await openSandbox(name);
      const env = Object.entries(sb.baseEnv()).map(([k, v]) => `${k}=${v}`);
      const p = Bun.spawn(["runuser", "-u", sb.user, "--", "env", "-i", ...env, "TERM=" + (process.env.TERM ?? "xterm"), "sh", "-l"], {
        stdio: ["inherit", "inherit", "inherit"],
        cwd: sb.home,
      });
      return p.exited;
    }
    case "run": {
      const sb = await openSandbox(name);
      const cmd = rest[0] === "--" ? rest.slice(1) : rest;
      const env = Object.entries(sb.baseEnv()).map(([k, v]) => `${k}=${v}`);
      const p = Bun.spawn(["runuser", "-u", sb.user, "--", "env", "-i", ...env, "TERM=" + (process.env.TERM ?? "xterm"), ...cmd], {
        stdio: ["inherit", "inherit", "inherit"],
        cwd: sb.home,
      });
      return p.exited;
    }
    case "destroy":
      await destroySandbox(name);
      return 0;
    default:
      process.stderr.write("usage: bun scripts/sandbox.ts shell|run|destroy NAME [-- CMD...]\n");
      return 2;
  }
}

if (import.meta.main) process.exitCode = await cli(process.argv.slice(2));
