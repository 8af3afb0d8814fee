// The binary's copy staged ahead of its step (plan/staging.ts): install starts it beside its
// checks, and the plan's copy step renames that very file into place instead of copying again.
import { afterEach, expect, test } from "bun:test";
import { stat, utimes } from "node:fs/promises";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { applyPlan, ApplyError } from "../../src/core/plan/execute.ts";
import { discardStaged, removeAbandonedCopies, stageCopy } from "../../src/core/plan/staging.ts";
import type { Step } from "../../src/core/plan/steps.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const BIN = "/home/alice/Downloads/containerd-rootless-systemd";
const DIR = "/home/alice/.local/bin";
const COPY = `${DIR}/containerd-rootless-systemd`;
const copyStep: Step = { kind: "copy", from: BIN, path: COPY, mode: 0o755 };

async function setup(dirs: string[] = [DIR]) {
  host = await makeTestHost({ files: { [BIN]: "BINARY-v2" }, dirs, commands: { stat: () => ok("1000000 4096\n"), systemctl: () => ok() } });
}

/** The hidden temporary files beside the copy's target. */
async function stagedFiles(): Promise<string[]> {
  return ((await host.readdir(DIR)) ?? []).filter((n) => n.endsWith(".tmp"));
}

test("the copy step renames the staged copy into place: the same file (inode), mode 0755, the source's mtime; nothing left beside it", async () => {
  await setup();
  await stageCopy(host, BIN, COPY, 0o755);
  // the staged file appears (exclusive create) while the copy runs in the background
  for (let i = 0; i < 200 && (await stagedFiles()).length === 0; i++) await Bun.sleep(5);
  const [tmp] = await stagedFiles();
  expect(tmp).toMatch(/^\.containerd-rootless-systemd\.[0-9a-f]{12}\.tmp$/);
  const stagedIno = (await stat(host.path(`${DIR}/${tmp}`))).ino;
  const result = await applyPlan(host, [copyStep]);
  expect(result.steps[0]!.result).toBe(`Created ${COPY}`);
  const [src, dst] = await Promise.all([stat(host.path(BIN)), stat(host.path(COPY))]);
  expect(await host.readText(COPY)).toBe("BINARY-v2");
  expect(dst.ino).toBe(stagedIno); // renamed, not copied again
  expect(dst.mode & 0o7777).toBe(0o755);
  expect(Math.trunc(dst.mtimeMs)).toBe(Math.trunc(src.mtimeMs));
  expect(await stagedFiles()).toEqual([]);
  await discardStaged(host);
  expect(await host.readdir(DIR)).toEqual(["containerd-rootless-systemd"]);
});

test("a staged copy is the one put in place only while the source is unchanged: a download replaced meanwhile is copied anew", async () => {
  await setup();
  await stageCopy(host, BIN, COPY, 0o755);
  await host.writeFileAtomic(BIN, "BINARY-v3-longer", 0o755);
  await utimes(host.path(BIN), new Date(), new Date(Date.now() + 5000));
  await applyPlan(host, [copyStep]);
  expect(await host.readText(COPY)).toBe("BINARY-v3-longer");
  expect(await stagedFiles()).toEqual([]);
});

test("~/.local/bin and ~/.local still to be made (by the plan, journaled): the copy is staged in ~, nothing else is created, and the copy step makes the directories and renames that file in", async () => {
  await setup([]);
  const HOME = "/home/alice";
  const inHome = async () => ((await host.readdir(HOME)) ?? []).filter((n) => /^\.containerd-rootless-systemd\.[0-9a-f]{12}\.tmp$/.test(n));
  await stageCopy(host, BIN, COPY, 0o755);
  for (let i = 0; i < 200 && (await inHome()).length === 0; i++) await Bun.sleep(5);
  const [tmp] = await inHome();
  expect(tmp).toBeDefined();
  expect(await host.exists("/home/alice/.local")).toBe(false);
  const stagedIno = (await stat(host.path(`${HOME}/${tmp}`))).ino;
  const result = await applyPlan(host, [copyStep]);
  expect(result.steps[0]!.result).toBe(`Created ${COPY}`);
  expect((await stat(host.path(COPY))).ino).toBe(stagedIno); // renamed, not copied again
  expect(await host.readText(COPY)).toBe("BINARY-v2");
  expect(await inHome()).toEqual([]);
  expect(host.calls.filter((c) => c[0] === "stat")).toEqual([]); // its space is taken already: no free-space question
});

test("a staged copy nobody took from ~ is removed; nothing is staged for a copy already in place", async () => {
  await setup([]);
  await stageCopy(host, BIN, COPY, 0o755);
  await discardStaged(host);
  expect(await host.exists(DIR)).toBe(false);
  expect(await host.readdir("/home/alice")).toEqual(["Downloads"]);

  await setup();
  await host.copyFileAtomic(BIN, COPY, 0o755);
  await stageCopy(host, BIN, COPY, 0o755);
  await discardStaged(host);
  expect(await host.readdir(DIR)).toEqual(["containerd-rootless-systemd"]);
});

test("a staged copy no step took (the checks failed, the run was cancelled) is removed by discardStaged", async () => {
  await setup();
  await stageCopy(host, BIN, COPY, 0o755);
  await discardStaged(host);
  expect(await host.readdir(DIR)).toEqual([]);
  // a different mode than staged: not taken, copied as usual
  await stageCopy(host, BIN, COPY, 0o755);
  await applyPlan(host, [{ ...copyStep, mode: 0o700 }]);
  expect((await stat(host.path(COPY))).mode & 0o7777).toBe(0o700);
  await discardStaged(host);
  expect(await host.readdir(DIR)).toEqual(["containerd-rootless-systemd"]);
});

test("a staged copy a killed run left behind is removed by a later run; one a live run is still staging (its flock held) is kept", async () => {
  await setup();
  const abandoned = `${DIR}/.containerd-rootless-systemd.0123456789ab.tmp`;
  const otherRun = `${DIR}/.containerd-rootless-systemd.ba9876543210.tmp`;
  const unrelated = [`${DIR}/.containerd-rootless-systemd.bak`, `${DIR}/.nerdctl.0123456789ab.tmp`, `${DIR}/.containerd-rootless-systemd.xyz.tmp`];
  const abandonedAbove = "/home/alice/.containerd-rootless-systemd.cafe12345678.tmp"; // staged while ~/.local/bin was missing
  for (const f of [abandoned, abandonedAbove, otherRun, ...unrelated]) await host.writeFileAtomic(f, "PARTIAL", 0o600);
  // another live run staging its copy: a separate process holding the flock, as stageCopy does (-o: only flock itself holds it)
  const holder = Bun.spawn(["flock", "-x", "-o", host.path(otherRun), "-c", "echo locked; exec cat"], { stdin: "pipe", stdout: "pipe" });
  try {
    const reader = holder.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("locked");
    // and this run's own copy, still being staged
    await stageCopy(host, BIN, COPY, 0o755);
    const ownOf = async () => (await stagedFiles()).find((n) => /^\.containerd-rootless-systemd\.[0-9a-f]{12}\.tmp$/.test(n) && ![abandoned, otherRun].some((f) => f.endsWith(n)));
    for (let i = 0; i < 200 && !(await ownOf()); i++) await Bun.sleep(5);
    const own = await ownOf();
    expect(own).toBeDefined();
    expect(await removeAbandonedCopies(host, COPY)).toEqual([abandoned, abandonedAbove]);
    expect(await host.exists(abandoned)).toBe(false);
    expect(await host.exists(abandonedAbove)).toBe(false);
    expect(await host.exists(otherRun)).toBe(true);
    for (const f of unrelated) expect(await host.exists(f)).toBe(true);
    // this run's staged copy survives and is still the one put in place
    await applyPlan(host, [copyStep]);
    expect(await host.readText(COPY)).toBe("BINARY-v2");
    expect(await host.exists(`${DIR}/${own}`)).toBe(false);
  } finally {
    holder.stdin.end(); // cat ends, then flock, which lets go of the lock
    await holder.exited;
  }
  // once its run is gone, a later run removes that one too
  expect(await removeAbandonedCopies(host, COPY)).toEqual([otherRun]);
  expect((await stagedFiles()).sort()).toEqual([".containerd-rootless-systemd.xyz.tmp", ".nerdctl.0123456789ab.tmp"]);
});

test("the free-space check before the first change asks no `stat -f` for a copy already staged in full (its space is taken); it still does without one", async () => {
  await setup();
  await stageCopy(host, BIN, COPY, 0o755);
  await applyPlan(host, [copyStep]);
  expect(host.calls.filter((c) => c[0] === "stat")).toEqual([]);
  expect(await host.readText(COPY)).toBe("BINARY-v2");
  await host.cleanup();
  await setup();
  await applyPlan(host, [copyStep]);
  expect(host.calls.filter((c) => c[0] === "stat")).toHaveLength(1);
  expect(await host.readText(COPY)).toBe("BINARY-v2");
});

test("the placed copy's fsync runs on while the plan goes on; the run waits for it before it ends, and a copy that cannot reach the disk fails the run, which is rolled back", async () => {
  await setup();
  const order: string[] = [];
  const commit = host.commitCopy.bind(host);
  let failDisk = false;
  host.commitCopy = async (staged, to) => {
    const placed = await commit(staged, to);
    // the fsync ends only after the next step ran (a slow disk)
    const durable = placed.durable.then(() => new Promise<void>((resolve) => setTimeout(resolve, 30))).then(() => {
      order.push("durable");
      if (failDisk) throw new Error(`cannot write ${to} to disk: EIO`);
    });
    durable.catch(() => {});
    return { durable };
  };
  const unit = "/home/alice/.config/systemd/user/containerd.service";
  const plan: Step[] = [copyStep, { kind: "run", argv: ["systemctl", "--user", "start", "x.service"], undo: ["systemctl", "--user", "stop", "x.service"] }, { kind: "write", path: unit, content: "[Unit]\n" }];
  const opts = { onEvent: (e: { type: string; index?: number }) => void (e.type === "done" && order.push(`step ${e.index}`)) };
  await stageCopy(host, BIN, COPY, 0o755);
  await applyPlan(host, plan, opts);
  // the steps after the copy did not wait for its fsync; the run did, before its last step was recorded
  expect(order).toEqual(["step 0", "step 1", "durable", "step 2"]);
  expect(await host.readText(COPY)).toBe("BINARY-v2");

  // again from scratch, with a disk that fails: the copy step is named, and what the run did is undone
  await host.remove(COPY);
  await host.remove(unit);
  order.length = 0;
  failDisk = true;
  await stageCopy(host, BIN, COPY, 0o755);
  const err = (await applyPlan(host, plan, opts).catch((e) => e)) as ApplyError;
  expect(err).toBeInstanceOf(ApplyError);
  expect(err.failure.index).toBe(0);
  expect(err.failure.reason).toContain("to disk: EIO");
  expect(await host.exists(COPY)).toBe(false);
  expect(await host.exists(unit)).toBe(false);
  expect(err.rolledBack).toContain("systemctl --user stop x.service");
});

test("nothing staged, the same file system: the step links the download at once, and a real copy replaces the link once the run's steps are done; a failure drops that copy, the undo removes the link, the download is untouched", async () => {
  await setup();
  const inode = async (p: string) => (await stat(host.path(p))).ino;
  let seenDuringRun = 0;
  host.commands.probe = async () => ((seenDuringRun = await inode(COPY)), ok());
  const plan: Step[] = [copyStep, { kind: "run", argv: ["probe"] }];
  const result = await applyPlan(host, plan);
  expect(result.steps[0]!.result).toBe(`Created ${COPY}`);
  expect(seenDuringRun).toBe(await inode(BIN)); // linked while the next steps ran
  const [src, dst] = await Promise.all([stat(host.path(BIN)), stat(host.path(COPY))]);
  expect(dst.ino).not.toBe(src.ino); // a copy of its own by the end
  expect(src.nlink).toBe(1);
  expect(dst.mode & 0o7777).toBe(0o755);
  expect(Math.trunc(dst.mtimeMs)).toBe(Math.trunc(src.mtimeMs));
  expect(await host.readText(COPY)).toBe("BINARY-v2");
  expect(await stagedFiles()).toEqual([]);

  await host.remove(COPY);
  const err = (await applyPlan(host, [copyStep, { kind: "run", argv: ["false-program"] }]).catch((e) => e)) as ApplyError;
  expect(err).toBeInstanceOf(ApplyError);
  expect(await host.exists(COPY)).toBe(false);
  expect(await host.readText(BIN)).toBe("BINARY-v2");
  expect((await stat(host.path(BIN))).nlink).toBe(1);
  expect(await stagedFiles()).toEqual([]);
});
