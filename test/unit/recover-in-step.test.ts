// Recovery after a run killed inside a step, by a real SIGKILL (test/helpers/killed-apply.ts), at
// every arrival at "written" (a file's bytes synced beside it, not renamed) and at "renamed" (in
// place, not yet journaled) of a plan that writes a file into a directory it has to make, replaces
// a file of the user's (0600, backed up first) and links a unit: the next run leaves the user's
// files exactly as before the run or exactly as the complete run leaves them, with no temporary
// file and no directory the run made. Found by the fault matrix on `install stargz`: killed while
// ~/.config/containerd-stargz-grpc/config.toml was written, the rollback left that directory
// behind, empty — it removed the directories the run had made while the killed write's temporary
// file was still in one of them, and only then that temporary file.
import { afterEach, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { KILLED_APPLY } from "../helpers/killed-apply.ts";
import { traceArrivals } from "../helpers/kill-trace.ts";
import { snapshotTree } from "../helpers/tree-snapshot.ts";
import { recoverInterrupted } from "../../src/core/plan/recover.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import type { Step } from "../../src/core/plan/steps.ts";

const HOME = "/home/alice";
const MINE = `${HOME}/.config/containerd/config.toml`;
const UNITS = `${HOME}/.config/systemd/user`;
const steps: Step[] = [
  { kind: "write", path: `${HOME}/.config/containerd-stargz-grpc/config.toml`, content: "# the daemon needs it\n" },
  { kind: "write", path: MINE, content: "# mine\nimports = []\n", backupTo: `${HOME}/.local/share/containerd-rootless-systemd/backups/config.toml` },
  { kind: "link", path: `${UNITS}/default.target.wants/stargz-snapshotter.service`, target: `${UNITS}/stargz-snapshotter.service` },
];

let hosts: TestHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.cleanup()));
  hosts = [];
});

/** alice's machine before the run: her own 0600 config.toml, the unit directory. */
async function machine(): Promise<TestHost> {
  const host = await makeTestHost({ files: { [MINE]: { content: "# mine\n", mode: 0o600 } }, dirs: [UNITS] });
  hosts.push(host);
  return host;
}
/** ~/.config by bytes and mode, paths as alice sees them. */
const config = (host: TestHost) => snapshotTree(host.path(`${HOME}/.config`)).map((l) => l.slice(host.root.length));
/** the temporary files of writes anywhere on the machine */
const temporaries = (host: TestHost) => (readdirSync(host.root, { recursive: true }) as string[]).filter((p) => p.endsWith(".tmp"));
/** The plan applied whole with CRS_TEST_KILL_INSIDE=trace: its arrivals at the kill points. */
function tracedRun(host: TestHost) {
  const run = Bun.spawnSync([process.execPath, KILLED_APPLY, host.root, "trace", JSON.stringify(steps)], { stderr: "pipe" });
  expect(run.exitCode, run.stderr.toString()).toBe(0);
  return traceArrivals(run.stderr.toString(), `${HOME}/.local/share/containerd-rootless-systemd/journal.json`);
}
/** Applies the plan in a process that SIGKILLs itself at the `n`th arrival at `point`; true when it was killed. */
function killedRun(host: TestHost, point: string, n: number): boolean {
  const run = Bun.spawnSync([process.execPath, KILLED_APPLY, host.root, `${point}:${n}`, JSON.stringify(steps)], { stderr: "pipe" });
  if (run.exitCode === 0) return false;
  expect({ signal: run.signalCode, stderr: run.stderr.toString() }).toEqual({ signal: "SIGKILL", stderr: "" });
  return true;
}

for (const point of ["written", "renamed"]) {
  test(`killed at every arrival at "${point}": the next run leaves ~/.config as before or as complete, no directory of the run's, no temporary file`, async () => {
    const fresh = await machine();
    const before = config(fresh);
    const trace = tracedRun(fresh);
    const complete = config(fresh);
    expect(complete).not.toEqual(before);
    let n = 1;
    for (; n <= 40; n++) {
      const host = await machine();
      if (!killedRun(host, point, n)) break;
      await recoverInterrupted(host, resolvePaths(host.env, host.uid), { warn: () => {}, info: () => {} });
      expect({ n, temporaries: temporaries(host) }).toEqual({ n, temporaries: [] });
      expect([before, complete], `${point} #${n}`).toContainEqual(config(host));
      expect((await host.stat(MINE))!.mode & 0o777).toBe(0o600);
    }
    // the journal's writes and each file's: every one of them was a moment to die at
    expect(n).toBeGreaterThan(point === "written" ? 5 : 6);
    // and the trace counts them as the kills do: the fault matrix kills at the trace's numbers
    expect(trace.filter((a) => a.point === point).length).toBe(n - 1);
  }, 60_000);
}

test("the trace gives each arrival its kind: the journal's first and last writes, a new file in a new directory, a backup, a replaced file, a unit's step", async () => {
  const kinds = tracedRun(await machine()).map((a) => `${a.n} ${a.kind}`);
  expect(kinds).toEqual([
    `1 written: the journal's first write, in a step "write"`,
    `1 renamed: the journal's first write, in a step "write"`,
    `2 written: a new file in a new directory, in a step "write"`,
    `2 renamed: a new file in a new directory, in a step "write"`,
    `1 step-done: a step "write"`,
    `3 written: the journal's write, in a step`,
    `3 renamed: the journal's write, in a step "write with a backup"`,
    `4 written: a backup, in a step "write with a backup"`,
    `4 renamed: a backup, in a step "write with a backup"`,
    `5 written: replacing a file, in a step "write with a backup"`,
    `5 renamed: replacing a file, in a step "write with a backup"`,
    `2 step-done: a step "write with a backup"`,
    `6 written: the journal's write, in a step`,
    `6 renamed: the journal's write, in a step "link"`,
    `3 step-done: a step "link"`,
    `7 written: the journal's last write, in the run's end`,
    `7 renamed: the journal's last write, in the run's end`,
  ]);
});

test("a file written before the journal's first write is the checks', not the first step's: a step's own file of that sort stays a kind to kill at", () => {
  const J = "/s/journal.json";
  const trace = [`written 1 /c/x.d/a.toml (a new file in a new directory)`, `written 2 ${J} (a new file)`, `written 3 /c/s/config.toml (a new file in a new directory)`, `step-done 1 write`, `written 4 ${J} (replacing a file)`]
    .map((l) => `crs-kill-point ${l}`)
    .join("\n");
  expect(traceArrivals(`noise\n${trace}\n`, J).map((a) => a.kind)).toEqual([
    `written: a new file in a new directory, in the checks before the first change`,
    `written: the journal's first write, in a step "write"`,
    `written: a new file in a new directory, in a step "write"`,
    `step-done: a step "write"`,
    `written: the journal's last write, in the run's end`,
  ]);
});

test("arrivals after the journal's last write (install verifying containers after its plan) are not inside a step: left out", () => {
  const J = "/s/journal.json";
  const trace = [`written 1 ${J} (a new file)`, `step-done 1 write`, `written 2 ${J} (replacing a file)`, `written 3 /tmp/verify (a new file)`, `step-done 2 run`]
    .map((l) => `crs-kill-point ${l}`)
    .join("\n");
  expect(traceArrivals(trace, J).map((a) => `${a.point} ${a.n}`)).toEqual(["written 1", "step-done 1", "written 2"]);
});
