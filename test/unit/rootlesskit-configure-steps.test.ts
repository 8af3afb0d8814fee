// configure's change runs through the plan engine: written, reloaded, restarted, checked; a
// containerd that does not come up with the new settings, or Ctrl+C, rolls the drop-in back
// and restarts containerd with the old one. systemctl is scripted: a restart starts a
// "RootlessKit" whose /proc/PID/cmdline is what the drop-in on disk leads to.
import { test, expect, afterEach } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { planConfigure } from "../../src/core/rootlesskit/configure.ts";
import { applyConfigure, configureSteps } from "../../src/core/rootlesskit/configure-steps.ts";
import { rootlesskitFlags } from "../../src/core/rootlesskit/resolve.ts";
import { resolvePaths, type Paths } from "../../src/core/os/paths.ts";
import { InterruptedError } from "../../src/core/plan/interrupt.ts";
import { DEBIAN_12_ROOTLESSKIT as FACTS } from "../helpers/rootlesskit-facts.ts";
import { fakeContainerdApi } from "../helpers/grpc-server.ts";

const OVERRIDE = "/home/alice/.config/systemd/user/containerd.service.d/override.conf";
const BEFORE = `# mine\n[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400"\n`;
let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

/**
 * containerd.service as systemd would run it. `onRestart` decides what the restarted service
 * does with the drop-in now on disk: "runs" (RootlessKit with its flags, containerd answering), "no API"
 * (the flags and a socket file, nothing answering on it) or "fails".
 */
/** RootlessKit's network as network-health.ts reads it: its slirp4netns child (alive or a zombie) and `ip -j addr` in its child's namespace. */
const IP_UP = JSON.stringify([{ ifname: "lo", flags: ["LOOPBACK", "UP", "LOWER_UP"], addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8 }] }, { ifname: "tap0", flags: ["BROADCAST", "UP", "LOWER_UP"], addr_info: [{ family: "inet", local: "10.0.2.100", prefixlen: 24 }] }]);
async function network(h: TestHost, driver: "S" | "Z") {
  await h.writeFileAtomic("/proc/4242/task/4242/children", "4243 4300 ");
  await h.writeFileAtomic("/proc/4243/stat", "4243 (exe) S 4242 4243 0");
  await h.writeFileAtomic("/proc/4300/stat", `4300 (slirp4netns) ${driver} 4242 4300 0`);
  await h.writeFileAtomic("/run/user/1000/containerd-rootless/child_pid", "4243");
}

async function machine(opts: { active: boolean; onRestart: (override: string | null) => "runs" | "fails" | "no API"; duringRestart?: () => void; driver?: "S" | "Z" }) {
  const s = { active: opts.active, failed: false, restarts: 0, verbs: [] as string[], flags: [] as string[] };
  const paths = resolvePaths({ HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000" }, 1000);
  host = await makeTestHost({
    files: { [OVERRIDE]: BEFORE },
    commands: {
      systemctl: async (argv) => {
        const [verb, ...rest] = argv.slice(2);
        if (verb === "show-environment") return ok("HOME=/home/alice\n");
        if (verb === "show") {
          const names = rest.slice(rest.indexOf("--") + 1);
          return ok(names.map((n) => n !== "containerd.service" ? `Id=${n}\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n` : [`Id=${n}`, "LoadState=loaded", `ActiveState=${s.failed ? "failed" : s.active ? "active" : "inactive"}`, `SubState=${s.failed ? "failed" : s.active ? "running" : "dead"}`, `MainPID=${s.active ? 4242 : 0}`, `NRestarts=${s.restarts}`, ""].join("\n")).join("\n"));
        }
        if (verb === "status") return ok("× containerd.service - containerd (Rootless)\n     Active: failed (Result: exit-code)");
        if (verb !== "reset-failed") s.verbs.push([verb, ...rest].join(" ")); // before each restart (units.ts)
        if (verb === "restart") {
          opts.duringRestart?.();
          const text = await host!.readText(OVERRIDE);
          const outcome = opts.onRestart(text);
          if (outcome !== "fails") {
            s.failed = false;
            s.active = true;
            const planned = await planConfigure(host!, paths, { set: {}, reset: [] }, FACTS);
            await host!.writeFileAtomic("/proc/4242/cmdline", ["rootlesskit", ...rootlesskitFlags(planned.settings), "launch"].join("\0"));
            // "no API": RootlessKit runs with the flags, containerd's socket file is there, nothing answers on it
            if (outcome === "runs") await api.start();
            else await api.stop().then(() => host!.writeFileAtomic(paths.containerdSocket, ""));
            await network(host!, opts.driver ?? "S");
          } else {
            s.failed = true;
            s.active = false;
            await api.stop();
            s.restarts++;
          }
        }
        return ok();
      },
      journalctl: () => ok("containerd: invalid MTU"),
      nsenter: (argv) => (argv.slice(argv.indexOf("--") + 1).join(" ") === "ip -j addr show" ? ok(IP_UP) : ok()),
      ip: () => ok(IP_UP),
    },
  });
  const api = fakeContainerdApi(host, paths.containerdSocket);
  if (opts.active) await api.start();
  return { s, paths: paths as Paths, api };
}

test("running: the drop-in is written, systemd reloaded, containerd restarted and RootlessKit checked for the new flags", async () => {
  const { s, paths } = await machine({ active: true, onRestart: () => "runs" });
  const plan = await planConfigure(host!, paths, { set: { mtu: "1500" }, reset: [] }, FACTS);
  expect(configureSteps(paths, plan, true).steps.map((x) => x.kind)).toEqual(["write", "systemctl", "systemctl", "wait", "wait"]);
  const events: string[] = [];
  const outcome = await applyConfigure(host!, paths, plan, { timeoutMs: 5000, onEvent: (e) => e.type === "done" && events.push(e.outcome.result) });
  expect(outcome).toEqual({ restarted: true, rolledBack: false });
  expect(await host!.readText(OVERRIDE)).toBe(plan.after!);
  expect(s.verbs).toEqual(["daemon-reload", "restart containerd.service"]);
  expect(events.at(-2)).toMatch(/^RootlessKit with the new settings answered after/);
  expect(events.at(-1)).toMatch(/^RootlessKit's network works after/);
  expect(((await host!.readText("/proc/4242/cmdline")) ?? "").split("\0")).toContain("--mtu=1500");
});

test("RootlessKit comes up with the new flags but its network driver died: a failure naming it, and the old drop-in is back", async () => {
  const { s, paths } = await machine({ active: true, onRestart: () => "runs", driver: "Z" });
  const plan = await planConfigure(host!, paths, { set: { mtu: "1500" }, reset: [] }, FACTS);
  const err = (await applyConfigure(host!, paths, plan, { timeoutMs: 5000 }).catch((e) => e)) as Error;
  expect(err.message).toContain("containerd did not come up with the new settings (the slirp4netns process RootlessKit started for its network has exited (a zombie, <defunct>), so containers have no network)");
  expect(await host!.readText(OVERRIDE)).toBe(BEFORE);
  expect(s.verbs).toEqual(["daemon-reload", "restart containerd.service", "daemon-reload", "restart containerd.service"]);
});

test("not running: written and reloaded only; the settings apply at the next start", async () => {
  const { s, paths } = await machine({ active: false, onRestart: () => "runs" });
  const plan = await planConfigure(host!, paths, { set: {}, reset: ["mtu"] }, FACTS);
  expect(plan.after).toBe("# mine\n[Service]\n");
  expect(await applyConfigure(host!, paths, plan)).toEqual({ restarted: false, rolledBack: false });
  expect(await host!.readText(OVERRIDE)).toBe("# mine\n[Service]\n");
  expect(s.verbs).toEqual(["daemon-reload"]);
});

test("containerd does not come up with the new settings: the old drop-in is restored, reloaded and containerd restarted with it", async () => {
  const { s, paths } = await machine({ active: true, onRestart: (text) => (text?.includes("1500") ? "fails" : "runs") });
  const plan = await planConfigure(host!, paths, { set: { mtu: "1500" }, reset: [] }, FACTS);
  const err = (await applyConfigure(host!, paths, plan, { timeoutMs: 5000 }).catch((e) => e)) as Error & { fix?: string; exitCode?: number };
  expect(err.message).toContain("containerd did not come up with the new settings (containerd.service failed (failed)); the previous");
  expect(err.message).toContain("was restored and containerd restarted with it.");
  expect(err.message).toContain("Active: failed (Result: exit-code)"); // systemctl status, collected before the rollback
  expect(err.message).toContain("containerd: invalid MTU"); // the journal
  expect(err.fix).toContain("configure --show");
  expect(await host!.readText(OVERRIDE)).toBe(BEFORE);
  expect(s.verbs).toEqual(["daemon-reload", "restart containerd.service", "daemon-reload", "restart containerd.service"]);
  expect(s.active && !s.failed).toBe(true);
});

test("a RootlessKit that keeps the old flags is a failure after the timeout, naming what runs", async () => {
  const { paths } = await machine({ active: true, onRestart: () => "runs" });
  const plan = await planConfigure(host!, paths, { set: { mtu: "1500" }, reset: [] }, FACTS);
  // the scripted restart computes flags from the disk; make it see the old file by planning a different change
  const stale = { ...plan, settings: { ...plan.settings, mtu: 1300 } };
  const err = (await applyConfigure(host!, paths, stale, { timeoutMs: 300 }).catch((e) => e)) as Error;
  expect(err.message).toMatch(/new settings \(RootlessKit runs with .*--mtu=1500.*; timed out after 0 s\)/);
  expect(await host!.readText(OVERRIDE)).toBe(BEFORE);
});

test("Ctrl+C during the restart: rolled back and InterruptedError (exit 130) names what was undone", async () => {
  const controller = new AbortController();
  const { s, paths } = await machine({ active: true, onRestart: () => "runs", duringRestart: () => controller.abort() });
  const plan = await planConfigure(host!, paths, { set: { mtu: "1500" }, reset: [] }, FACTS);
  const err = await applyConfigure(host!, paths, plan, { timeoutMs: 5000, signal: controller.signal }).catch((e) => e);
  expect(err).toBeInstanceOf(InterruptedError);
  expect((err as InterruptedError).exitCode).toBe(130);
  expect((err as InterruptedError).rolledBack).toEqual([`restore ${OVERRIDE}`, "systemctl --user daemon-reload", "systemctl --user restart containerd.service (until the containerd API answers)"]);
  expect(await host!.readText(OVERRIDE)).toBe(BEFORE);
  expect(s.verbs).toEqual(["daemon-reload", "restart containerd.service", "daemon-reload", "restart containerd.service"]);
});

test("RootlessKit with the new flags but containerd not answering (a socket file, no API) is not in effect: the wait says so and the old drop-in comes back", async () => {
  const { s, paths } = await machine({ active: true, onRestart: (text) => (text?.includes("1500") ? "no API" : "runs") });
  const plan = await planConfigure(host!, paths, { set: { mtu: "1500" }, reset: [] }, FACTS);
  const err = (await applyConfigure(host!, paths, plan, { timeoutMs: 300 }).catch((e) => e)) as Error;
  expect(err.message).toContain(`containerd did not come up with the new settings (containerd does not answer on ${paths.containerdSocket}: no connection (refused, reset, or no socket); timed out after 0 s)`);
  expect(await host!.readText(OVERRIDE)).toBe(BEFORE);
  expect(s.verbs).toEqual(["daemon-reload", "restart containerd.service", "daemon-reload", "restart containerd.service"]);
});
