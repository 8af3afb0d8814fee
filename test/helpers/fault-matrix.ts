// The fault matrix's machinery (test/e2e/faults.test.ts): the machine's state as the matrix
// compares it, waiting for units to settle, and killing a command at every step boundary or, inside
// its steps, at one arrival at a kill point of each kind (test/helpers/kill-trace.ts), with the
// next run (`status`) required to leave the machine exactly as before the killed run or exactly
// as the complete run leaves it.
// `held(...)` counts each scenario instance that held, for the README's "Crash safety" table.
import { expect } from "bun:test";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { waitFor, type SandboxRun } from "../../scripts/sandbox.ts";
import type { E2ESandbox } from "./e2e.ts";
import { pickArrivals, traceArrivals, type Arrival } from "./kill-trace.ts";

const counts: Record<string, [number, number]> = {};
/** Counts one instance of a scenario; `ok` false fails the test after counting. */
export function held(scenario: string, ok: boolean): void {
  const c = (counts[scenario] ??= [0, 0]);
  c[1]++;
  if (ok) c[0]++;
}
/** The figures for the README's "Crash safety" table. */
export const heldCounts = () => Object.entries(counts).map(([s, [ok, all]]) => `fault-matrix: ${s}: ${ok}/${all} held`);

// the stores of containerd and of the snapshotter daemons (their data, not our setup), and the
// timestamped copies of config.toml the add-ons keep by design
const SKIP = new Set([".local/share/containerd", ".local/share/cni", ".local/share/containerd-stargz-grpc", ".local/share/containerd-fuse-overlayfs", ".local/share/containerd-rootless-systemd/backups"]);
export const STATE = ".local/share/containerd-rootless-systemd";

/** Where a run is killed: CRS_TEST_KILL_AFTER_STEP=N, or CRS_TEST_KILL_INSIDE=POINT:N (src/core/os/kill-points.ts) at the Nth arrival at POINT. */
export interface KillHook {
  where: string;
  env(n: number): Record<string, string>;
}
export const AFTER_STEP: KillHook = { where: "after each step", env: (n) => ({ CRS_TEST_KILL_AFTER_STEP: String(n) }) };
export const INSIDE: Record<string, KillHook> = {
  "copy-half": { where: "with a copy half written", env: (n) => ({ CRS_TEST_KILL_INSIDE: `copy-half:${n}` }) },
  written: { where: "with a file written but not renamed", env: (n) => ({ CRS_TEST_KILL_INSIDE: `written:${n}` }) },
  renamed: { where: "with a file renamed but not journaled", env: (n) => ({ CRS_TEST_KILL_INSIDE: `renamed:${n}` }) },
  "step-done": { where: "with a step's work done (a unit started) but not recorded", env: (n) => ({ CRS_TEST_KILL_INSIDE: `step-done:${n}` }) },
};

/** A command the matrix kills: the machine before it, as its complete run leaves it, and how to get from there back to before. */
export interface Killable {
  name: string;
  args: string[];
  units?: string[];
  before: string[];
  after: string[];
  reset: () => void;
  /** every arrival at a kill point of a complete run (killInside traces one run, once) */
  arrivals?: Arrival[];
}

export function faultMatrix(e2e: E2ESandbox, cli: (args: string[], env?: Record<string, string>) => SandboxRun) {
  const home = () => e2e.sb.home;

  /** Every file, directory and link under ~/.config and ~/.local (bytes and mode), and the units' states. */
  function machineState(units = ["containerd.service"]): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      if (SKIP.has(rel)) return;
      const abs = join(home(), rel);
      if (!existsSync(abs) && !lstatSync(abs, { throwIfNoEntry: false })) return;
      const st = lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        // our state directory counts by what is in it (an empty one is no state)
        if (rel === STATE && readdirSync(abs).every((e) => SKIP.has(join(rel, e)))) return;
        out.push(`${rel}/ ${mode}`);
        for (const e of readdirSync(abs).sort()) walk(join(rel, e));
      } else if (st.isSymbolicLink()) out.push(`${rel} -> link`);
      else out.push(`${rel} ${mode} ${createHash("sha256").update(readFileSync(abs)).digest("hex").slice(0, 16)}`);
    };
    walk(".config");
    walk(".local");
    for (const u of units) {
      const state = (verb: string) => e2e.sb.systemctl(verb, u).stdout.trim();
      // a unit whose file is gone is absent, whether its last stop ended "inactive" or "failed" (containerd's exit status on SIGTERM)
      if (e2e.show(u, "LoadState") === "not-found") out.push(`${u} absent`);
      else out.push(`${u} ${state("is-active")} ${state("is-enabled")}`);
    }
    return out;
  }

  /**
   * Waits for the units to settle (a rollback's start, a finished restart) before states are compared.
   * Nothing here kills a unit: a rollback that stops containerd while RootlessKit is still starting
   * would leave it in stop-sigterm for good (TimeoutSec=0), and the tool itself must get it out of
   * there (src/core/systemd/stop-watch.ts), so a unit still moving after 180 s fails the test.
   */
  async function settled(units = ["containerd.service"]): Promise<void> {
    const moving = () => units.filter((u) => /activating|deactivating|reloading/.test(e2e.sb.systemctl("is-active", u).stdout));
    try {
      await waitFor("the units to settle", () => moving().length === 0, 180_000, 100);
    } catch (e) {
      const status = moving().map((u) => e2e.sb.systemctl("status", "--no-pager", "--lines=15", u).stdout).join("\n");
      throw new Error(`${(e as Error).message}\n${status}`);
    }
  }

  const same = (a: string[], b: string[]) => a.join("\n") === b.join("\n");
  const resetTo = async (k: Killable) => {
    k.reset();
    await settled(k.units);
    expect(machineState(k.units), `the reset after a kill of ${k.name}`).toEqual(k.before);
  };

  /**
   * Runs `k.args` to be killed at the `n`th moment `hook` names. False when it got to its end
   * (fewer such moments): the machine must then be as the complete run leaves it. Else the next
   * run (`status`) must say what was interrupted and leave exactly `k.before` or exactly `k.after`.
   * Either way the machine is back at `k.before` after.
   */
  async function killOnce(k: Killable, hook: KillHook, n: number): Promise<boolean> {
    const { name, before, after, units } = k;
    const run = cli(k.args, hook.env(n));
    if (run.code === 0) {
      await settled(units);
      expect(machineState(units)).toEqual(after);
      await resetTo(k);
      return false;
    }
    const status = cli(["status"]);
    await settled(units);
    const now = machineState(units);
    const killed = run.code !== 1; // SIGKILL: runuser reports 128+9
    const told = status.stderr.includes("An earlier run was interrupted") || same(now, before); // a kill before the first change leaves no journal
    held(`SIGKILL ${hook.where} of ${name}`, killed && status.code === 0 && told && (same(now, before) || same(now, after)));
    expect({ n, killed, told, status: status.code }, run.stdout + run.stderr).toEqual({ n, killed: true, told: true, status: 0 });
    // bun prints the received array as "Received" and `now` as "Expected to contain"
    expect([before.join("\n"), after.join("\n")], `${hook.where} #${n} of ${name} (the state now is the one it expected to contain):\n${status.stdout}\n${status.stderr}`).toContain(now.join("\n"));
    if (!same(now, before)) await resetTo(k);
    return true;
  }

  /**
   * Kills `k.args` after its 1st, 2nd, ... step until a run gets to its end without being killed
   * (so every step boundary is tried, whatever the plan's length). Returns how many were tried.
   */
  async function killMatrix(k: Killable): Promise<number> {
    expect(machineState(k.units), `the machine before ${k.name}`).toEqual(k.before);
    for (let n = 1; n <= 80; n++) if (!(await killOnce(k, AFTER_STEP, n))) return n - 1;
    throw new Error(`${k.name} did not finish within 80 kills ${AFTER_STEP.where}`);
  }

  /** `k`'s arrivals at every kill point, from a complete run of it traced; the machine is back at `k.before` after. */
  async function traced(k: Killable): Promise<Arrival[]> {
    const run = cli(k.args, { CRS_TEST_KILL_INSIDE: "trace" });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    await settled(k.units);
    expect(machineState(k.units), `after the traced run of ${k.name}`).toEqual(k.after);
    await resetTo(k);
    return traceArrivals(run.stderr, join(home(), STATE, "journal.json"));
  }

  /**
   * Inside `k`'s steps at `point`: a complete run traced (CRS_TEST_KILL_INSIDE=trace) gives every
   * arrival at it and its kind (test/helpers/kill-trace.ts); `k.args` is killed at the first
   * arrival of each kind no earlier matrix killed at. Returns how many arrivals the run had, and
   * which were killed at.
   */
  async function killInside(k: Killable, point: string): Promise<{ moments: number; killed: Arrival[] }> {
    const hook = INSIDE[point]!;
    expect(machineState(k.units), `the machine before ${k.name}`).toEqual(k.before);
    const arrivals = (k.arrivals ??= await traced(k));
    const picks = pickArrivals(arrivals, point);
    const moments = arrivals.filter((a) => a.point === point).length;
    console.log(`fault-matrix: ${k.name}, ${moments} arrivals at ${point}; killed at ${picks.map((a) => `#${a.n} (${a.kind})`).join("; ") || "none of a new kind"}`);
    for (const a of picks) expect(await killOnce(k, hook, a.n), `${point} #${a.n} of ${k.name}: the run got to its end`).toBe(true);
    return { moments, killed: picks };
  }

  return { machineState, settled, killMatrix, killInside };
}
