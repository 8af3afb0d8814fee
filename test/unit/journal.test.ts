// The durable journal and the recovery of a run that was killed. On a TestHost "killed" is
// host.killSelf throwing past applyPlan (no rollback runs, as with SIGKILL); the compiled
// binary's real SIGKILL is the fault matrix's (test/e2e/faults.test.ts).
import { afterEach, expect, test } from "bun:test";
import { stat } from "node:fs/promises";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { applyPlan } from "../../src/core/plan/execute.ts";
import { recoverInterrupted } from "../../src/core/plan/recover.ts";
import { journalPath, readJournal } from "../../src/core/plan/journal.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import type { Step } from "../../src/core/plan/steps.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const CONFIG = "/home/alice/.config/containerd/config.toml";
const UNIT = "/home/alice/.config/systemd/user/containerd.service";
const BIN = "/home/alice/Downloads/containerd-rootless-systemd";
const COPY = "/home/alice/.local/bin/containerd-rootless-systemd";

const steps: Step[] = [
  { kind: "write", path: CONFIG, content: "new\n" },
  { kind: "copy", from: BIN, path: COPY, mode: 0o755 },
  { kind: "write", path: UNIT, content: "[Unit]\n" },
  { kind: "systemctl", args: ["start", "containerd.service"], undo: ["stop", "containerd.service"] },
];

class Killed extends Error {}

async function killedAfter(n: number) {
  const systemctl: string[] = [];
  host = await makeTestHost({
    env: { HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000", CRS_TEST_KILL_AFTER_STEP: String(n) },
    files: { [CONFIG]: { content: "old\n", mode: 0o600 }, [BIN]: "BINARY-two", [COPY]: { content: "BINARY-1", mode: 0o755 } },
    commands: { systemctl: (argv) => (systemctl.push(argv.slice(2).join(" ")), ok()), stat: () => ok("1000000 4096\n") },
  });
  host.killSelf = () => {
    throw new Killed();
  };
  const err = await applyPlan(host, steps).catch((e) => e);
  expect(err).toBeInstanceOf(Killed);
  // the process is dead: the copy its copy step was still writing beside COPY (it linked COPY for the while) is no longer held
  const staged = async () => ((await host.readdir("/home/alice/.local/bin")) ?? []).filter((n) => n.endsWith(".tmp"));
  const complete = async () => (await Promise.all((await staged()).map(async (n) => (await stat(host.path(`/home/alice/.local/bin/${n}`))).mode & 0o100))).every(Boolean);
  const copying = n >= 2 && n < steps.length; // killed after the copy step, before the run's end put the copy in place
  for (let i = 0; i < 400 && copying && !((await staged()).length === 1 && (await complete())); i++) await Bun.sleep(5);
  await host.releaseAllStaged();
  const paths = resolvePaths(host.env, host.uid);
  const log: string[] = [];
  const recovery = await recoverInterrupted(host, paths, { warn: (t) => log.push(`W ${t}`), info: (t) => log.push(`I ${t}`) });
  return { paths, log, recovery, systemctl };
}

test("killed after each step but the last: the next run rolls everything back, modes kept, journal gone", async () => {
  for (const n of [1, 2, 3]) {
    const { paths, log, recovery, systemctl } = await killedAfter(n);
    expect(recovery?.how).toBe("rolled back");
    // step n's finish rides on the next write (journal.ts), so the journal holds the n-1 before it, and step n as the one it was at;
    // but the copy (step 2) is finished only once its bytes are on disk, which the run waits for before its last step is recorded
    const labels = ["Write ~/.config/containerd/config.toml", "Copy ~/Downloads/containerd-rootless-systemd to ~/.local/bin/containerd-rootless-systemd", "Write ~/.config/systemd/user/containerd.service"];
    expect(log[0]).toContain(`stopped after ${Math.min(n - 1, 1)} of 4 steps, at: ${labels[n - 1]}.`);
    expect(await host.readText(CONFIG)).toBe("old\n");
    expect((await stat(host.path(CONFIG))).mode & 0o777).toBe(0o600);
    expect(await host.readText(COPY)).toBe("BINARY-1");
    expect(await host.exists(UNIT)).toBe(false);
    // no backup left aside, and no copy the killed run was writing (recovery removes it)
    expect(await host.readdir("/home/alice/.local/bin")).toEqual(["containerd-rootless-systemd"]);
    expect(await host.exists(journalPath(paths))).toBe(false);
    expect(systemctl.filter((c) => c.startsWith("stop"))).toEqual([]); // containerd was never started: nothing to stop
    await host.cleanup();
  }
});

test("killed after the last step: the next run finishes it (rolls forward): the backup it left aside is cleared, nothing undone", async () => {
  const { systemctl } = await killedAfter(4);
  // the last step finished: rolled forward instead, nothing undone
  expect(systemctl).toEqual(["reset-failed containerd.service", "start containerd.service"]); // the undo's start clears the start limit first
  expect(await host.readText(CONFIG)).toBe("new\n");
  expect(await host.readText(COPY)).toBe("BINARY-two");
  expect(await host.readdir("/home/alice/.local/bin")).toEqual(["containerd-rootless-systemd"]); // its backup cleared
});

test("the journal is written before the first change, 0600 in a 0700 state directory, and says what each step undoes", async () => {
  host = await makeTestHost({
    env: { HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000", CRS_TEST_KILL_AFTER_STEP: "1" },
    files: { [CONFIG]: "old\n", [BIN]: "B" },
    commands: { stat: () => ok("1000000 4096\n") },
  });
  host.killSelf = () => {
    throw new Killed();
  };
  await applyPlan(host, steps).catch(() => {});
  const paths = resolvePaths(host.env, host.uid);
  const doc = await readJournal(host, journalPath(paths));
  if (doc === null || doc === "corrupt") throw new Error("no journal");
  // each step's label (plan/label.ts), home as ~
  const home = (p: string) => p.replace("/home/alice", "~");
  expect(doc.steps.map((s) => s.description)).toEqual(["Write " + home(CONFIG), `Copy ${home(BIN)} to ${home(COPY)}`, "Write " + home(UNIT), "Start containerd.service"]);
  expect(doc.done).toEqual([]); // step 0's finish is written with step 1's undo (one write, two fsyncs, fewer)
  expect(doc.undo["0"]).toEqual([{ description: `restore ${CONFIG}`, record: { op: "restore", path: CONFIG, content: "old\n", mode: 0o644 } }]);
  expect((await stat(host.path(journalPath(paths)))).mode & 0o777).toBe(0o600);
  expect((await stat(host.path(paths.stateDir))).mode & 0o777).toBe(0o700);
});

test("a finished step is recorded with the next change's undo; an irreversible step's finish at once (recovery rolls forward from it)", async () => {
  const TREE = "/home/alice/.local/share/containerd";
  host = await makeTestHost({
    env: { HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000", CRS_TEST_KILL_AFTER_STEP: "3" },
    files: { [CONFIG]: "old\n", [BIN]: "B", [`${TREE}/x`]: "data" },
    commands: { stat: () => ok("1000000 4096\n") },
  });
  host.killSelf = () => {
    throw new Killed();
  };
  const plan: Step[] = [steps[0]!, steps[1]!, { kind: "remove", path: TREE, recursive: true }, steps[2]!];
  await applyPlan(host, plan).catch(() => {});
  const paths = resolvePaths(host.env, host.uid);
  const doc = await readJournal(host, journalPath(paths));
  if (doc === null || doc === "corrupt") throw new Error("no journal");
  expect(doc.done).toEqual([0, 1, 2]);
  const log: string[] = [];
  expect((await recoverInterrupted(host, paths, { warn: (t) => log.push(t), info: () => {} }))?.how).toBe("finished");
  expect(await host.readText(UNIT)).toBe("[Unit]\n");
});

test("a journal that cannot be read is removed with a warning; no journal: nothing to recover", async () => {
  host = await makeTestHost();
  const paths = resolvePaths(host.env, host.uid);
  expect(await recoverInterrupted(host, paths, { warn: () => {}, info: () => {} })).toBeNull();
  await host.mkdirp(paths.stateDir, 0o700);
  await host.writeFileAtomic(journalPath(paths), "{garbage", 0o600);
  const warned: string[] = [];
  expect(await recoverInterrupted(host, paths, { warn: (t) => warned.push(t), info: () => {} })).toBeNull();
  expect(warned[0]).toContain("cannot be read; it is removed");
  expect(await host.exists(journalPath(paths))).toBe(false);
});

test("a run that ends, done or rolled back, leaves no journal and no state directory it had to create", async () => {
  host = await makeTestHost({ files: { [BIN]: "B" }, commands: { stat: () => ok("1000000 4096\n"), systemctl: () => ok() } });
  await applyPlan(host, steps);
  expect(await host.exists("/home/alice/.local/share")).toBe(false);
});

test("what a run killed inside a step left beside its targets goes with the next run's lock: a write's bytes never renamed, a half copy, the journal's next version", async () => {
  host = await makeTestHost({ files: { [CONFIG]: "old\n", [BIN]: "B" }, commands: { stat: () => ok("1000000 4096\n") } });
  const paths = resolvePaths(host.env, host.uid);
  await host.mkdirp(paths.stateDir, 0o700);
  // the journal of a run killed while writing config.toml: its undo written, the new bytes beside the file, not renamed
  const doc = { version: 1, pid: 1, command: "install stargz --yes", startedAt: "", steps: [{ description: "Write config.toml", step: steps[0] }], undo: { "0": [{ description: `restore ${CONFIG}`, record: { op: "restore", path: CONFIG, content: "old\n", mode: 0o644 } }] }, done: [] };
  await host.writeFileAtomic(journalPath(paths), JSON.stringify(doc), 0o600);
  const leftovers = [`/home/alice/.config/containerd/.config.toml.0123456789ab.tmp`, `${paths.stateDir}/.journal.json.0123456789ab.tmp`, `/home/alice/.local/bin/.containerd-rootless-systemd.0123456789ab.tmp`];
  for (const f of leftovers) {
    await host.mkdirp(f.slice(0, f.lastIndexOf("/")));
    await host.writeFileAtomic(f, "half");
  }
  const mine = "/home/alice/.config/containerd/.config.toml.mine.tmp"; // not our pattern: never touched
  await host.writeFileAtomic(mine, "x");
  const info: string[] = [];
  expect((await recoverInterrupted(host, paths, { warn: () => {}, info: (t) => info.push(t) }))?.how).toBe("rolled back");
  for (const f of leftovers) expect(await host.exists(f)).toBe(false);
  expect(await host.readText(CONFIG)).toBe("old\n");
  expect(await host.exists(mine)).toBe(true);
  expect(info).toContain(`Removed /home/alice/.config/containerd/.config.toml.0123456789ab.tmp, left unfinished by a run that was killed`);
  // and with no journal at all (killed before its first write was renamed): still cleared
  await host.writeFileAtomic(leftovers[1]!, "half");
  expect(await recoverInterrupted(host, paths, { warn: () => {}, info: () => {} })).toBeNull();
  expect(await host.exists(leftovers[1]!)).toBe(false);
});

test("the planned config a killed run was checking (`containerd config dump`) is removed from beside config.toml; a live run's is kept", async () => {
  host = await makeTestHost({ files: { [CONFIG]: "# mine\n" } });
  const paths = resolvePaths(host.env, host.uid);
  const dead = ["/home/alice/.config/containerd/.crs-validate-2147483646.toml", "/home/alice/.config/containerd/.crs-validate-2147483646.d/stargz.toml", "/home/alice/.config/containerd/..crs-validate-2147483646.toml.0123456789ab.tmp"];
  const live = `/home/alice/.config/containerd/.crs-validate-${process.ppid}.toml`;
  for (const f of [...dead, live]) {
    await host.mkdirp(f.slice(0, f.lastIndexOf("/")));
    await host.writeFileAtomic(f, "x");
  }
  expect(await recoverInterrupted(host, paths, { warn: () => {}, info: () => {} })).toBeNull();
  expect((await host.readdir("/home/alice/.config/containerd"))!.sort()).toEqual([`.crs-validate-${process.ppid}.toml`, "config.toml"]);
  expect(await host.readText(CONFIG)).toBe("# mine\n");
});
