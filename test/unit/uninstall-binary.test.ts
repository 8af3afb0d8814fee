// uninstall and the binary copy install made: when it is the running binary's copy (same size and
// mtime) no backup is kept beside it — the undo copies the running binary back — and its unlink
// (slow on a file system that discards freed blocks) runs while the next steps do (plan/execute.ts).
import { afterEach, expect, test } from "bun:test";
import { stat } from "node:fs/promises";
import { failed, ok, type TestHost } from "../helpers/test-host.ts";
import { CONTROL_GROUP, fakeSystemd, WANTS_LINK } from "../helpers/fake-systemd.ts";
import { dirname } from "node:path";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { planUninstall } from "../../src/core/lifecycle/uninstall.ts";
import { applyPlan, ApplyError } from "../../src/core/plan/execute.ts";
import { recoverInterrupted } from "../../src/core/plan/recover.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const COPY = "/home/alice/.local/bin/containerd-rootless-systemd";
const BIN = "/home/alice/Downloads/containerd-rootless-systemd";

async function installed(reload: () => ReturnType<typeof ok> = () => ok(), held = false) {
  const f = await fakeSystemd({ unit: { active: false, enabled: false } });
  host = f.h;
  const installSteps = (await planInstall(host, f.paths)).steps;
  await applyPlan(host, installSteps);
  f.unit.held = held;
  const systemctl = host.commands.systemctl!;
  host.commands.systemctl = (argv, o) => (argv[2] === "daemon-reload" ? reload() : systemctl(argv, o));
  const before = await stat(host.path(COPY));
  return { f, before, installSteps: installSteps.length };
}

test("the running binary's copy: removed after the stop, with no backup left, its undo a copy from the running binary", async () => {
  const { f } = await installed();
  const plan = await planUninstall(host, f.paths, {});
  const at = plan.steps.findIndex((s) => s.kind === "remove" && s.path === COPY);
  expect(plan.steps[at]).toMatchObject({ kind: "remove", path: COPY, restoreFrom: BIN });
  // the stop queued first, then the binary (its unlink goes on beside the rest), the files (the enabling link among them), the wait for the stop
  expect(at).toBe(1);
  expect(plan.steps.slice(0, 4)).toMatchObject([{ kind: "systemctl", args: ["stop", "--no-block", "containerd.service"] }, { kind: "remove", path: COPY }, { kind: "remove", path: "/home/alice/.config/systemd/user/containerd.service" }, { kind: "remove", path: WANTS_LINK, disables: "containerd.service" }]);
  expect(plan.steps.slice(-2)).toMatchObject([{ kind: "wait", what: "containerd.service to stop" }, { kind: "systemctl", args: ["daemon-reload"], unlessForgotten: ["containerd.service"] }]);
  await applyPlan(host, plan.steps);
  expect(await host.exists(COPY)).toBe(false);
  expect(await host.readdir("/home/alice/.local/bin")).toEqual([]); // no .crs-rollback beside it
});

test("a later step fails: the binary is copied back from the running one (content, mode, mtime), and the rest undone", async () => {
  const { f, before } = await installed(() => failed("Failed to reload daemon: Connection reset by peer"), true);
  const err = (await applyPlan(host, (await planUninstall(host, f.paths, {})).steps).catch((e) => e)) as ApplyError;
  expect(err).toBeInstanceOf(ApplyError);
  expect(err.failure.step).toMatchObject({ kind: "systemctl", args: ["daemon-reload"] });
  expect(err.rolledBack).toContain(`restore ${COPY}`);
  const after = await stat(host.path(COPY));
  expect(await host.readText(COPY)).toBe("BINARY");
  expect(after.mode & 0o7777).toBe(before.mode & 0o7777);
  expect(Math.trunc(after.mtimeMs)).toBe(Math.trunc(before.mtimeMs));
  expect(await host.exists("/home/alice/.config/systemd/user/containerd.service")).toBe(true);
});

test("killed right after removing it: the next run copies it back from the binary the journal names", async () => {
  const { f, before, installSteps } = await installed();
  const plan = await planUninstall(host, f.paths, {});
  const n = plan.steps.findIndex((s) => s.kind === "remove" && s.path === COPY) + 1;
  // steps are counted per process (this host), the install's included
  Object.assign(host, { env: { ...host.env, CRS_TEST_KILL_AFTER_STEP: String(installSteps + n) } });
  host.killSelf = () => {
    throw new Error("killed");
  };
  expect(((await applyPlan(host, plan.steps).catch((e) => e)) as Error).message).toBe("killed");
  const recovery = await recoverInterrupted(host, f.paths, { warn: () => {}, info: () => {} });
  expect(recovery?.how).toBe("rolled back");
  expect(await host.readText(COPY)).toBe("BINARY");
  expect((await stat(host.path(COPY))).mode & 0o7777).toBe(before.mode & 0o7777);
});

test("a copy that differs from the running binary (another version) keeps the backup way: renamed aside, put back by rename", async () => {
  const { f } = await installed();
  await host.writeFileAtomic(BIN, "BINARY-newer", 0o755);
  const plan = await planUninstall(host, f.paths, {});
  const step = plan.steps.find((s) => s.kind === "remove" && s.path === COPY)!;
  expect(step).not.toHaveProperty("restoreFrom");
});

test("the stop is only queued, then waited for: uninstall ends once systemd says containerd is inactive, and reloads only if systemd still holds the unit", async () => {
  const { f } = await installed();
  const systemctl = host.commands.systemctl!;
  const log: string[] = [];
  let stopping = 0;
  host.commands.systemctl = async (argv, o) => {
    if (argv.includes("-P")) return systemctl(argv, o); // the stuck-stop watch (stop-watch.ts: `show -P MainPID` once a second while the stop runs) is not one of these looks
    const r = await systemctl(argv, o);
    if (argv[2] === "stop") stopping = 3; // still shutting down for the next three looks
    if (argv[2] !== "show") return log.push(argv[2]!), r;
    log.push(stopping > 0 ? "show: deactivating" : "show");
    if (stopping <= 0) return r;
    stopping--;
    return { ...r, stdout: r.stdout.replace("ActiveState=inactive", "ActiveState=deactivating") };
  };
  const plan = (await planUninstall(host, f.paths, {})).steps;
  // the wait's give-up check (a show of its own once the wait has lasted 200 ms) is set aside: on a loaded machine it came in between
  (plan.find((s) => s.kind === "wait") as { failed?: unknown }).failed = undefined;
  const result = await applyPlan(host, plan);
  // no cgroup files here: each look asks systemctl; the last show asks whether systemd still holds the unit (it does not)
  expect(log).toEqual(["show", "stop", "show: deactivating", "show: deactivating", "show: deactivating", "show", "show"]);
  expect(result.steps.at(-2)!.result).toMatch(/^Stopped containerd\.service after \d+\.\d\d s$/);
  expect(result.steps.at(-1)!.changed).toBe(false);
});

test("while the stop runs, each look reads containerd's cgroup, not systemd: emptied is not enough, systemd removing it ends the wait; then systemd is asked whether it still holds the unit", async () => {
  const { f } = await installed();
  f.unit.active = true;
  const cgroup = `/sys/fs/cgroup/unified${CONTROL_GROUP}`;
  await host.writeFileAtomic(`/sys/fs/cgroup/unified${dirname(CONTROL_GROUP)}/cgroup.events`, "populated 1\n");
  await host.writeFileAtomic(`${cgroup}/cgroup.events`, "populated 1\nfrozen 0\n");
  const systemctl = host.commands.systemctl!;
  const log: string[] = [];
  let looks = 0;
  host.commands.systemctl = async (argv, o) => (argv.includes("-P") || log.push(argv[2]!), systemctl(argv, o)); // not the stuck-stop watch (stop-watch.ts: `show -P MainPID` once a second while the stop runs)
  const plan = (await planUninstall(host, f.paths, {})).steps;
  const wait = plan.find((s) => s.kind === "wait")!;
  const ready = (wait as { ready: (h: TestHost) => Promise<boolean> }).ready;
  // its give-up check asks systemd once the wait has lasted 200 ms (os/wait.ts): on a loaded
  // machine the five looks take longer and it did; this test is about the looks, so it is set aside
  (wait as { failed?: unknown }).failed = undefined;
  (wait as { ready: unknown }).ready = async (h: TestHost) => {
    if (++looks === 3) await host.writeFileAtomic(`${cgroup}/cgroup.events`, "populated 0\nfrozen 0\n"); // the last process exits
    if (looks === 5) await host.remove(cgroup, { recursive: true }); // systemd put the unit down
    return ready(h);
  };
  const result = await applyPlan(host, plan);
  expect(looks).toBe(5);
  expect(log).toEqual(["show", "stop", "show"]);
  expect(result.steps.at(-1)!.result).toBe("Not needed: systemd has already forgotten containerd.service");
});
