// A stop of a unit whose RootlessKit can never finish (its child died during its start, see
// src/core/rootlesskit/stuck.ts) is unstuck with SIGKILL; a slow stop of a healthy RootlessKit
// is left alone. /proc is files under the test Host's root; systemctl is scripted.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { systemctl } from "../../src/core/systemd/units.ts";
import { stuckStopKiller, unitsStopped } from "../../src/core/systemd/stop-watch.ts";
import { rootlesskitOrphaned } from "../../src/core/rootlesskit/stuck.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

const stat = (pid: number, comm: string, state: string, ppid: number) => `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194560 0 0 0 0`;

/** RootlessKit 100 with slirp4netns 102 and its child 101 (alive, or a zombie when `dead`); systemctl stop returns once killed, or after `showsUntilStopped` looks. */
async function machine(dead: boolean, showsUntilStopped = Infinity) {
  let release: () => void = () => {};
  const stopped = new Promise<void>((r) => (release = r));
  let shows = 0;
  host = await makeTestHost({
    files: {
      "/proc/100/stat": stat(100, "rootlesskit", "S", 1),
      "/proc/100/task/100/children": "",
      "/proc/100/task/107/children": "101 102 ",
      "/proc/101/stat": stat(101, "exe", dead ? "Z" : "S", 100),
      "/proc/102/stat": stat(102, "slirp4netns", "S", 100),
    },
    commands: {
      systemctl: async (argv) => {
        const verb = argv[2];
        if (verb === "show") {
          if (++shows >= showsUntilStopped) release();
          return ok("100\n");
        }
        if (verb === "kill") release();
        if (verb === "stop" || verb === "restart" || verb === "disable") await stopped;
        return ok();
      },
    },
  });
  return host;
}

const kills = (h: TestHost) => h.calls.filter((c) => c[2] === "kill");

describe("a stop that RootlessKit's hang would block for good", () => {
  test("a RootlessKit whose child is a zombie is recognised; a live child, another program or no process is not", async () => {
    const h = await machine(true);
    expect(await rootlesskitOrphaned(h, 100)).toBe(true);
    expect(await rootlesskitOrphaned(h, 102)).toBe(false); // slirp4netns, not RootlessKit
    expect(await rootlesskitOrphaned(h, 4242)).toBe(false); // gone
    expect(await rootlesskitOrphaned(h, 0)).toBe(false);
    const alive = await machine(false);
    expect(await rootlesskitOrphaned(alive, 100)).toBe(false);
  });

  test("stop: after two sightings the unit is killed with SIGKILL and the stop completes", async () => {
    const h = await machine(true);
    const r = await systemctl(h, ["stop", "containerd.service"]);
    expect(r.code).toBe(0);
    expect(kills(h)).toEqual([["systemctl", "--user", "kill", "--signal=SIGKILL", "containerd.service"]]);
    expect(h.calls.filter((c) => c[2] === "show")).toHaveLength(2);
  });

  test("disable --now and restart are watched too", async () => {
    for (const args of [["disable", "--no-reload", "--now", "containerd.service"], ["restart", "containerd.service"]]) {
      const h = await machine(true);
      expect((await systemctl(h, args)).code).toBe(0);
      expect(kills(h)).toHaveLength(1);
    }
  });

  test("a slow stop of a RootlessKit whose child is alive (containerd shutting down) is waited for, never killed", async () => {
    const h = await machine(false, 5);
    expect((await systemctl(h, ["stop", "containerd.service"])).code).toBe(0);
    expect(kills(h)).toEqual([]);
  });

  test("which calls stop units", () => {
    expect(unitsStopped(["stop", "a.service", "b.service"])).toEqual(["a.service", "b.service"]);
    expect(unitsStopped(["disable", "--no-reload", "--now", "a.service"])).toEqual(["a.service"]);
    expect(unitsStopped(["disable", "--no-reload", "a.service"])).toEqual([]);
    expect(unitsStopped(["start", "a.service"])).toEqual([]);
    expect(unitsStopped(["show", "-P", "MainPID", "a.service"])).toEqual([]);
  });

  test("a wait that polls fast (uninstall's queued stop) looks once per interval and kills after the second sighting", async () => {
    const h = await machine(true);
    let clock = 0;
    h.now = () => clock;
    const unstick = stuckStopKiller("containerd.service", 1000);
    for (let i = 0; i < 50; i++) await unstick(h, 100); // 50 polls within the same second: one look
    expect(kills(h)).toEqual([]);
    clock = 1000;
    await unstick(h, 100);
    expect(kills(h)).toEqual([["systemctl", "--user", "kill", "--signal=SIGKILL", "containerd.service"]]);
    const healthy = await machine(false);
    const leave = stuckStopKiller("containerd.service", 0);
    for (let i = 0; i < 5; i++) await leave(healthy, 100);
    expect(kills(healthy)).toEqual([]);
  });
});

describe("a watched stop that ends quickly", () => {
  test("leaves no timer behind: the process exits when the call returns, not when the next look was due", async () => {
    // a real Host in a child process; `systemctl` is a script that returns at once
    const dir = mkdtempSync(join(tmpdir(), "crs-stopwatch-"));
    try {
      writeFileSync(join(dir, "systemctl"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      const script = `import { Host } from ${JSON.stringify(`${import.meta.dir}/../../src/core/os/host.ts`)};
import { runStopping } from ${JSON.stringify(`${import.meta.dir}/../../src/core/systemd/stop-watch.ts`)};
const r = await runStopping(new Host(), ["stop", "containerd.service"], 5000, 30000);
console.log(r.code);`;
      writeFileSync(join(dir, "run.ts"), script);
      const started = performance.now();
      const child = Bun.spawnSync([process.execPath, join(dir, "run.ts")], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
      expect(child.stdout.toString().trim()).toBe("0");
      expect(performance.now() - started).toBeLessThan(15_000); // a left-over 30 s pause would hold the exit
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
