// What every end-to-end test file needs: the compiled binary, a throwaway sandbox user with a
// real `systemd --user` (scripts/sandbox.ts) created before the file's tests and destroyed
// after them, the binary installed for that user, and a runner for it.
import { beforeAll, afterAll } from "bun:test";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { createSandbox, type RunAsOptions, type Sandbox, type SandboxRun } from "../../scripts/sandbox.ts";

export const ROOT = join(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/containerd-rootless-systemd");

export interface SandboxOptions {
  /** default timeout of `run`/`cli` (the sandbox's own default when unset) */
  cliTimeoutMs?: number;
  /** more set-up once the binary is installed (e.g. install containerd) */
  setup?: (e2e: E2ESandbox) => void | Promise<void>;
  /** how long creating the sandbox plus `setup` may take */
  setupTimeoutMs?: number;
}

export interface E2ESandbox {
  /** the sandbox user (set once the file's beforeAll has run) */
  readonly sb: Sandbox;
  /** the compiled binary as the user's copy in ~/Downloads */
  readonly bin: string;
  /** runs the binary as the user with `args` */
  run(args: string[], opts?: RunAsOptions): SandboxRun;
  cli(...args: string[]): SandboxRun;
  /** `cli` whose stdout is parsed as JSON */
  cliJson<T = any>(...args: string[]): SandboxRun & { doc: T };
  /** `run`, throwing with the output unless it succeeded (for set-up steps) */
  mustRun(args: string[], opts?: RunAsOptions): SandboxRun;
  /** a property of one of the user's units (`systemctl --user show -P`) */
  show(unit: string, prop: string): string;
  /** the command line of containerd.service's main process (RootlessKit), split at NULs */
  rootlesskitArgs(): string[];
}

/**
 * The sandbox user's name: `base` plus CRS_E2E_SUFFIX when set, so that two checkouts on one
 * machine (e.g. two worktrees) can run their end-to-end suites at the same time.
 */
export function sandboxUser(base: string): string {
  return base + (process.env.CRS_E2E_SUFFIX ?? "");
}

/** Registers beforeAll/afterAll for a sandbox user named `sandboxUser(base)` and returns its handle. */
export function useSandbox(base: string, opts: SandboxOptions = {}): E2ESandbox {
  const user = sandboxUser(base);
  let sb: Sandbox | undefined;
  let bin = "";
  const e2e: E2ESandbox = {
    get sb() {
      if (!sb) throw new Error(`sandbox ${user} is not set up (beforeAll failed?)`);
      return sb;
    },
    get bin() {
      return bin;
    },
    run: (args, runOpts = {}) => e2e.sb.run([bin, ...args], { timeoutMs: opts.cliTimeoutMs, ...runOpts }),
    cli: (...args) => e2e.run(args),
    cliJson: (...args) => {
      const r = e2e.cli(...args);
      return { ...r, doc: JSON.parse(r.stdout) };
    },
    mustRun: (args, runOpts) => {
      const r = e2e.run(args, runOpts);
      if (r.code !== 0) throw new Error(`${args.join(" ")} failed: ${r.stdout}\n${r.stderr}`);
      return r;
    },
    show: (unit, prop) => e2e.sb.systemctl("show", "-P", prop, unit).stdout.trim(),
    rootlesskitArgs: () => readFileSync(`/proc/${e2e.show("containerd.service", "MainPID")}/cmdline`, "utf8").split("\0"),
  };

  beforeAll(async () => {
    if (!existsSync(BINARY)) throw new Error(`build the binary first: bun scripts/build.ts (${BINARY} is missing)`);
    sb = await createSandbox(user);
    bin = sb.installBinary(BINARY);
    await opts.setup?.(e2e);
  }, opts.setupTimeoutMs ?? 60_000);

  afterAll(async () => {
    await sb?.destroy();
  }, 60_000);

  return e2e;
}

/** The executable of a process ("" once it is gone). */
export function exeOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return "";
  }
}
