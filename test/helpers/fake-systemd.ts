// alice's machine on a TestHost with a scripted `systemctl --user` that keeps containerd.service's
// state and records the verbs it is asked to run (`show` and `show-environment` are queries, not
// recorded). For unit tests of plans, status and the UI engine; the real systemd is in test/e2e.
import { makeTestHost, ok, failed, type Handler } from "./test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { fakeContainerdApi } from "./grpc-server.ts";

export const UNIT = "/home/alice/.config/systemd/user/containerd.service";
export const SOCKET = "/run/user/1000/containerd/containerd.sock";
/** containerd.service's cgroup while it runs (its files exist only where a test writes them, under /sys/fs/cgroup/unified) */
export const CONTROL_GROUP = "/user.slice/user-1000.slice/user@1000.service/app.slice/containerd.service";

export interface FakeUnit {
  active: boolean;
  enabled: boolean;
  /** `start` leaves it activating (auto-restart) and the API never answers */
  failOnStart?: boolean;
  /**
   * default.target took it in (a daemon-reload since it was enabled): systemd keeps it loaded once its
   * file is gone, until a reload; otherwise a unit that is down and whose file is gone is forgotten
   */
  held?: boolean;
}

/** The link enabling makes (install writes it itself; `systemctl disable` removes it) */
export const WANTS_LINK = "/home/alice/.config/systemd/user/default.target.wants/containerd.service";

function showContainerd(name: string, unit: FakeUnit, installed: boolean, linked: boolean): string {
  const failing = unit.failOnStart && unit.active;
  return [
    `Id=${name}`,
    `LoadState=${installed || unit.active || unit.held ? "loaded" : "not-found"}`,
    `ActiveState=${failing ? "activating" : unit.active ? "active" : "inactive"}`,
    `SubState=${failing ? "auto-restart" : unit.active ? "running" : "dead"}`,
    `MainPID=${unit.active ? 4242 : 0}`,
    `ActiveEnterTimestamp=${unit.active ? "Mon 2026-11-30 03:02:45 UTC" : ""}`,
    `UnitFileState=${installed ? (unit.enabled || linked ? "enabled" : "disabled") : ""}`,
    "NeedDaemonReload=no",
    "NRestarts=0",
    `ControlGroup=${unit.active ? CONTROL_GROUP : ""}`,
    "",
  ].join("\n");
}

/** A TestHost for alice (her downloaded binary, passwd entry, runtime dir) with the scripted systemd. */
export async function fakeSystemd(opts: { unit?: FakeUnit; files?: Record<string, string>; commands?: Record<string, Handler> } = {}) {
  const unit: FakeUnit = opts.unit ?? { active: false, enabled: false };
  const verbs: string[] = [];
  let api: ReturnType<typeof fakeContainerdApi>;
  const h = await makeTestHost({
    files: { "/home/alice/Downloads/containerd-rootless-systemd": "BINARY", "/etc/passwd": "alice:x:1000:1000::/home/alice:/bin/sh\n", ...opts.files },
    dirs: ["/run/user/1000"],
    commands: {
      systemctl: async (argv) => {
        const [verb, ...rest] = argv.slice(2);
        if (verb === "show-environment") return ok("PATH=/usr/bin:/bin\n");
        if (verb === "show") {
          const names = rest.slice(rest.indexOf("--") + 1);
          const [installed, linked] = [await h.exists(UNIT), Boolean(await h.stat(WANTS_LINK))];
          // dbus.socket listens; no add-on unit is installed here
          const other = (n: string) => (n === "dbus.socket" ? `Id=${n}\nLoadState=loaded\nActiveState=active\nSubState=listening\nMainPID=0\n` : `Id=${n}\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nMainPID=0\n`);
          return ok(names.map((n) => (n === "containerd.service" ? showContainerd(n, unit, installed, linked) : other(n))).join("\n"));
        }
        verbs.push([verb, ...rest].join(" "));
        if (verb === "start" || verb === "restart") {
          unit.active = true;
          if (!unit.failOnStart) await api.start();
        }
        if (verb === "stop") {
          unit.active = false;
          await api.stop();
        }
        if (verb === "daemon-reload") unit.held = (unit.enabled || Boolean(await h.stat(WANTS_LINK))) && (await h.exists(UNIT));
        if (verb === "enable") unit.enabled = true;
        if (verb === "disable") {
          unit.enabled = false;
          await h.remove(WANTS_LINK);
          if (rest.includes("--now")) {
            unit.active = false;
            await api.stop();
          }
        }
        if (verb === "status") return failed("", 3, "● containerd.service - containerd (Rootless)\n   Active: activating (auto-restart)");
        return ok();
      },
      journalctl: () => ok("-- No entries --\n"),
      rootlesskit: async (argv) => {
        if (argv[1] === "rm") for (const p of argv.slice(3)) await h.remove(p, { recursive: true });
        return ok("rootlesskit version 1.1.0\n");
      },
      containerd: () => ok("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1\n"),
      ...opts.commands,
    },
  });
  // containerd's API answers on its socket while the unit runs (as it did before the test, when it is active)
  api = fakeContainerdApi(h, SOCKET);
  if (unit.active && !unit.failOnStart) await api.start();
  return { h, unit, verbs, api, paths: resolvePaths(h.env, h.uid) };
}
