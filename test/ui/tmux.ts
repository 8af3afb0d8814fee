// Drives a program in a real terminal: a detached tmux session of a given size, keys sent
// with `send-keys`, the screen read with `capture-pane`. Used by the UI end-to-end test and
// by the time-to-first-frame benchmark.
// one tmux server per test process, so parallel runs never share (or shut down) a server
const SOCKET = `crsui-${process.pid}`;
const EXIT_MARK = "[program exited: ";

function tmux(args: string[], check = true): string {
  const p = Bun.spawnSync(["tmux", "-L", SOCKET, ...args], { stdout: "pipe", stderr: "pipe" });
  if (check && p.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${p.stderr.toString()}`);
  return p.stdout.toString();
}

export class Terminal {
  private constructor(readonly name: string) {}

  /**
   * Starts `argv` in a new session of `cols` x `rows`. A small shell around it prints the
   * exit status when it ends and keeps the pane open, so the last screen can be read.
   */
  static start(name: string, argv: string[], opts: { cols?: number; rows?: number; env?: Record<string, string> } = {}): Terminal {
    tmux(["kill-session", "-t", name], false);
    const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const wrapper = ["sh", "-c", `"$@"; echo "${EXIT_MARK}$?]"; exec sleep 3600`, "sh", ...argv];
    const args = ["new-session", "-d", "-s", name, "-x", String(opts.cols ?? 80), "-y", String(opts.rows ?? 24), ...env, ...wrapper];
    // killing the last session ends the server; a new one started while it is still going away
    // fails with "server exited unexpectedly" (seen on a busy machine): start it again
    for (let attempt = 1; ; attempt++) {
      try {
        tmux(args);
        break;
      } catch (e) {
        if (attempt >= 5 || !/server exited unexpectedly/.test((e as Error).message)) throw e;
      }
    }
    return new Terminal(name);
  }

  /** The visible screen as text (with `escapes`, including colour sequences). */
  screen(escapes = false): string {
    return tmux(["capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", this.name]);
  }

  keys(...keys: string[]): void {
    tmux(["send-keys", "-t", this.name, ...keys]);
  }

  /** Types literal text. */
  type(text: string): void {
    tmux(["send-keys", "-l", "-t", this.name, text]);
  }

  resize(cols: number, rows: number): void {
    tmux(["resize-window", "-t", this.name, "-x", String(cols), "-y", String(rows)]);
  }

  /** The program's exit status once it has ended, else null. */
  exitStatus(): number | null {
    const m = new RegExp(`${EXIT_MARK.replace(/[[\]]/g, "\\$&")}(\\d+)\\]`).exec(this.screen());
    return m ? Number(m[1]) : null;
  }

  /** Polls the screen until `pred` holds; throws with the last screen after the deadline. */
  async waitFor(what: string | RegExp | ((s: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const pred = typeof what === "function" ? what : typeof what === "string" ? (s: string) => s.includes(what) : (s: string) => what.test(s);
    const deadline = performance.now() + timeoutMs;
    let last = "";
    while (performance.now() < deadline) {
      last = this.screen();
      if (pred(last)) return last;
      await Bun.sleep(20);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(what)}; screen:\n${last}`);
  }

  /** Waits until the program has ended and returns its exit status; throws with the screen after the deadline. */
  async exited(timeoutMs = 15_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const s = this.exitStatus();
      if (s !== null) return s;
      await Bun.sleep(20);
    }
    throw new Error(`the installer did not exit; screen:\n${this.screen()}`);
  }

  kill(): void {
    tmux(["kill-session", "-t", this.name], false);
  }
}
