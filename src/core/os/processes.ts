// The Host's processes: finding a program (the active bundle's directory first, then PATH),
// running one to completion, attached to the terminal, or started with its output read line
// by line while it runs (a container whose agent reports as it goes). Split from host.ts to
// keep each short; like it, one of the Host's own files that start processes.
import { join } from "node:path";
import { HostNet } from "./net.ts";
import { waitFactor } from "./wait.ts";
import type { Env } from "./host.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra variables merged over the host environment (or the whole environment with `cleanEnv`). */
  env?: Record<string, string | undefined>;
  cleanEnv?: boolean;
  input?: string | Uint8Array;
  cwd?: string;
  timeoutMs?: number;
}

/** A program started with `start`: its stdout comes line by line while it runs. */
export interface RunningProcess {
  pid: number;
  /** resolves when it has exited and its output is read (stdout holds every line) */
  exited: Promise<RunResult>;
  /** sends a signal (the program may forward it: `ctr run` hands it to its container's task) */
  signal(sig: NodeJS.Signals): void;
}

export abstract class HostProcesses extends HostNet {
  abstract readonly env: Env;
  abstract writeErr(text: string): void;

  /** Finds an executable in preferDirs, then on PATH (the host's PATH, not ours). */
  async which(name: string): Promise<string | null> {
    if (name.includes("/")) return (await this.canAccess(name, "x")) ? name : null;
    for (const dir of [...this.preferDirs, ...(this.env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":")]) {
      if (!dir) continue;
      const candidate = join(dir, name);
      const st = await this.stat(candidate).catch(() => null);
      if (st && !st.isDirectory && (await this.canAccess(candidate, "x"))) return candidate;
    }
    return null;
  }

  protected spawnEnv(opts: RunOptions): Record<string, string> {
    const base = opts.cleanEnv ? {} : this.env;
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...base, ...opts.env })) if (v !== undefined) merged[k] = v;
    return merged;
  }

  /**
   * Runs a program to completion and collects its output. A missing program is exit 127.
   * The child gets a session of its own: Ctrl+C on the terminal goes to our process group,
   * and must reach only us (we finish the current step and roll back), never kill a
   * `systemctl` halfway through its job.
   */
  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    let proc;
    try {
      proc = Bun.spawn(argv, {
        detached: true,
        env: this.spawnEnv(opts),
        cwd: opts.cwd,
        stdin: opts.input !== undefined ? new Blob([opts.input]) : "ignore",
        stdout: "pipe",
        stderr: "pipe",
        timeout: opts.timeoutMs && opts.timeoutMs * waitFactor(this),
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

  /**
   * Starts a program in a session of its own (as run does) and calls `onLine` with each line
   * of its stdout as it comes; `exited` gives the whole output once it has ended. A program
   * that cannot start has exited with 127.
   */
  start(argv: string[], onLine: (line: string) => void, opts: RunOptions = {}): RunningProcess {
    let proc;
    try {
      proc = Bun.spawn(argv, { detached: true, env: this.spawnEnv(opts), cwd: opts.cwd, stdin: opts.input !== undefined ? new Blob([opts.input]) : "ignore", stdout: "pipe", stderr: "pipe", timeout: opts.timeoutMs && opts.timeoutMs * waitFactor(this), killSignal: "SIGKILL" });
    } catch (e) {
      return { pid: 0, exited: Promise.resolve({ code: 127, stdout: "", stderr: `${argv[0]}: ${(e as Error).message}` }), signal: () => {} };
    }
    const p = proc;
    const readLines = async () => {
      let all = "";
      let pending = "";
      const decoder = new TextDecoder();
      for await (const chunk of p.stdout) {
        pending += decoder.decode(chunk, { stream: true });
        for (let nl = pending.indexOf("\n"); nl !== -1; nl = pending.indexOf("\n")) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          all += `${line}\n`;
          onLine(line);
        }
      }
      if (pending) (all += pending, onLine(pending));
      return all;
    };
    const exited = Promise.all([readLines(), new Response(p.stderr).text(), p.exited]).then(([stdout, stderr, code]) => ({ code, stdout, stderr }));
    return { pid: p.pid, exited, signal: (sig) => p.kill(sig) };
  }
}
