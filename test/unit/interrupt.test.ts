// Ctrl+C / SIGTERM / SIGHUP during a headless run that changes things: the run's AbortSignal
// (RunContext.signal) is aborted, the current step finishes, what the run changed is undone,
// the lock released, and the run ends with InterruptedError (exit 130). On TestHost the signal
// is fired by a scripted systemctl at the moment the real one would be starting the unit.
import { afterEach, describe, expect, test } from "bun:test";
import { runCommand } from "citty";
import { machine } from "./checks-fixture.ts";
import { ok, type Handler, type TestHost } from "../helpers/test-host.ts";
import { runContext } from "../../src/commands/_shared.ts";
import { install } from "../../src/core/lifecycle/install.ts";
import { INTERRUPTED_WARNING, InterruptedError, STILL_UNDOING_WARNING } from "../../src/core/plan/interrupt.ts";
import type { StopSignal } from "../../src/core/os/host.ts";
import uninstallCommand from "../../src/commands/uninstall.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { fakeContainerdApi } from "../helpers/grpc-server.ts";

const UNIT = "/home/alice/.config/systemd/user/containerd.service";
const COPY = "/home/alice/.local/bin/containerd-rootless-systemd";
const LOCK = "/run/user/1000/containerd-rootless-systemd.lock";
/** The kernel lock is free: this process can take it (and gives it back at once). */
function lockIsFree(host: TestHost): boolean {
  const held = host.tryLockFile(LOCK, "");
  held?.release();
  return held !== null;
}
const SOCKET = "/run/user/1000/containerd/containerd.sock";

let host: TestHost;
afterEach(() => host?.cleanup());

/** A scripted `systemctl --user` keeping containerd.service's state; `on(verb)` runs before a verb answers. */
function systemctl(on: (verb: string) => void | Promise<void>) {
  const s = { active: false, enabled: false, verbs: [] as string[] };
  const handler: Handler = async (argv) => {
    const [verb, ...rest] = argv.slice(2);
    if (verb === "show-environment") return ok("HOME=/home/alice\nXDG_RUNTIME_DIR=/run/user/1000\n");
    if (verb === "show") {
      const names = rest.slice(rest.indexOf("--") + 1);
      const installed = await host.exists(UNIT);
      return ok(names.map((n) => (n === "containerd.service" ? [`Id=${n}`, `LoadState=${installed ? "loaded" : "not-found"}`, `ActiveState=${s.active ? "active" : "inactive"}`, `SubState=${s.active ? "running" : "dead"}`, `MainPID=${s.active ? 4242 : 0}`, `UnitFileState=${installed ? (s.enabled ? "enabled" : "disabled") : ""}`, "NRestarts=0", ""].join("\n") : `Id=${n}\nLoadState=loaded\nActiveState=active\nSubState=listening\nMainPID=0\n`)).join("\n"));
    }
    s.verbs.push([verb, ...rest].join(" "));
    await on(verb!);
    if (verb === "start") s.active = true;
    if (verb === "stop") s.active = false;
    if (verb === "enable") s.enabled = true;
    if (verb === "enable" && rest.includes("--now")) s.active = true;
    if (verb === "disable") s.enabled = false;
    if (verb === "disable" && rest.includes("--now")) s.active = false;
    // a running containerd answers on its socket (the readiness wait asks it)
    await (s.active ? api.start() : api.stop());
    return ok();
  };
  return { s, handler };
}

let api: ReturnType<typeof fakeContainerdApi>;
async function healthyMachine(on: (verb: string) => void | Promise<void>) {
  const sd = systemctl(on);
  host = await machine({ files: { "/home/alice/Downloads/containerd-rootless-systemd": "BINARY" }, commands: { systemctl: sd.handler } });
  api = fakeContainerdApi(host, SOCKET);
  return sd;
}

const warnings = (h: TestHost) => h.err.split("\n").filter((l) => l.startsWith("[WARNING] "));

describe("a stop signal during install", () => {
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as StopSignal[]) {
    test(`${sig} while containerd.service starts: the start finishes, everything is undone, no lock, exit 130`, async () => {
      let lockedAtSignal = false;
      const sd = await healthyMachine(async (verb) => {
        if (verb !== "start") return;
        lockedAtSignal = !lockIsFree(host);
        expect(host.fireSignal(sig)).toBe(true); // someone listens: the process would not die
      });
      const ctx = runContext({ host }, {});
      const err = (await install(ctx, { skipSmokeTest: true, readyTimeoutMs: 60_000 }).catch((e) => e)) as InterruptedError;
      expect(err).toBeInstanceOf(InterruptedError);
      expect(err.exitCode).toBe(130);
      // enable comes after the start (while containerd starts): the signal stopped the plan before it
      expect(err.message).toStartWith("interrupted; undone: systemctl --user stop containerd.service; remove " + UNIT);
      expect(lockedAtSignal).toBe(true);
      // the start ran to its end, the wait never did; then the rollback
      expect(sd.s.verbs).toEqual(["reset-failed containerd.service", "start --no-block containerd.service", "stop containerd.service", "reset-failed containerd.service", "daemon-reload"]);
      expect(sd.s).toMatchObject({ active: false, enabled: false });
      expect(await host.exists(UNIT)).toBe(false);
      expect(await host.exists(COPY)).toBe(false);
      expect(lockIsFree(host)).toBe(true);
      expect(warnings(host).filter((l) => l.includes("Interrupted"))).toEqual([`[WARNING] ${INTERRUPTED_WARNING}`]);
      expect(host.out).not.toContain("Installed containerd.service");
    });
  }

  test("a second signal while rolling back does not cut the rollback short: it says it is still undoing", async () => {
    const sd = await healthyMachine((verb) => {
      if (verb === "start" || verb === "stop") host.fireSignal("SIGINT"); // the second one during the undo
    });
    const err = (await install(runContext({ host }, {}), { skipSmokeTest: true }).catch((e) => e)) as InterruptedError;
    expect(err.exitCode).toBe(130);
    expect(sd.s.verbs).toEqual(["reset-failed containerd.service", "start --no-block containerd.service", "stop containerd.service", "reset-failed containerd.service", "daemon-reload"]);
    expect(await host.exists(UNIT)).toBe(false);
    expect(lockIsFree(host)).toBe(true);
    expect(warnings(host).filter((l) => /Interrupted|Still/.test(l))).toEqual([`[WARNING] ${INTERRUPTED_WARNING}`, `[WARNING] ${STILL_UNDOING_WARNING}`]);
  });

  test("before the changes start (checks, planning) nothing listens: a signal ends the process as usual", async () => {
    let listening: boolean | undefined;
    await healthyMachine(() => {});
    const rootlesskit = host.commands.rootlesskit!;
    host.commands.rootlesskit = host.commands["/usr/bin/rootlesskit"] = (argv, o) => ((listening ??= host.fireSignal("SIGINT")), rootlesskit(argv, o));
    // (the scripted containerd never answers, so this install fails at its wait: not the point here)
    await install(runContext({ host }, {}), { skipSmokeTest: true, readyTimeoutMs: 1 }).catch(() => {});
    expect(listening).toBe(false);
  });
});

describe("a stop signal during uninstall (the command)", () => {
  test("SIGTERM while containerd is stopped and disabled: it is enabled and started again, the unit file restored, exit 130", async () => {
    let firing = false;
    const sd = await healthyMachine((verb) => {
      if (firing && verb === "stop") host.fireSignal("SIGTERM");
    });
    const unitText = (await planInstall(host, resolvePaths(host.env, host.uid))).unitText;
    await host.writeFileAtomic(UNIT, unitText);
    const link = "/home/alice/.config/systemd/user/default.target.wants/containerd.service";
    await host.mkdirp("/home/alice/.config/systemd/user/default.target.wants");
    await host.symlink(UNIT, link); // enabled as install enables it
    Object.assign(sd.s, { active: true, enabled: true });
    firing = true;
    sd.s.verbs.length = 0;
    const err = (await runCommand(uninstallCommand, { rawArgs: ["--yes"], data: { host } }).catch((e) => e)) as InterruptedError;
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err.exitCode).toBe(130);
    // disabled by removing its link, then the stop (queued) is the last step: undone by putting the link back and starting it
    expect(sd.s.verbs).toEqual(["stop --no-block containerd.service", "reset-failed containerd.service", "start containerd.service"]);
    expect(await host.readlink(link)).toBe(UNIT);
    expect(sd.s).toMatchObject({ active: true, enabled: true });
    // the undo waited for the API and it answered: nothing in the rollback failed
    expect(host.err).not.toContain("failed");
    expect(await host.readText(UNIT)).toBe(unitText);
    expect(lockIsFree(host)).toBe(true);
  });
});
