// The user manager going down while install starts containerd: the start job is only
// "canceled", and then nothing answers. install must say the manager stopped (and how to
// go on), not that containerd failed, in systemd 252's words and in systemd 257's, and must not
// run the launcher's checks without the service's environment (it would only miss XDG_RUNTIME_DIR).
import { afterEach, expect, test } from "bun:test";
import { machine } from "./checks-fixture.ts";
import { failed, listenUnix, ok, type TestHost } from "../helpers/test-host.ts";
import { runContext } from "../../src/commands/_shared.ts";
import { install } from "../../src/core/lifecycle/install.ts";
import { UserError } from "../../src/core/os/errors.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const WORDS = { "252": "Failed to connect to bus: Connection refused", "257": "Failed to connect to user scope bus via local transport: Connection refused" };

for (const [release, words] of Object.entries(WORDS)) {
  test(`a start job canceled because the manager went away (systemd ${release}): install says the manager stopped, exit 1`, async () => {
    let gone = false;
    host = await machine({
      files: { "/home/alice/Downloads/containerd-rootless-systemd": "BINARY" },
      commands: {
        systemctl: (argv) => {
          if (gone) return failed(words);
          const verb = argv[2];
          if (verb === "show-environment") return ok("HOME=/home/alice\nXDG_RUNTIME_DIR=/run/user/1000\n");
          if (verb === "show") return ok(argv.slice(argv.indexOf("--") + 1).map((n) => `Id=${n}\nLoadState=${n === "dbus.socket" ? "loaded" : "not-found"}\nActiveState=inactive\nSubState=dead\nMainPID=0\nUnitFileState=\nNRestarts=0\n`).join("\n"));
          if (verb === "start") return (gone = true), failed("Job for containerd.service canceled.");
          return ok();
        },
      },
    });
    const err = (await install(runContext({ host }, {}), { skipSmokeTest: true }).catch((e) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain("the systemd user manager stopped during the run (systemctl --user cannot reach it: nothing answers on /run/user/1000/systemd/private)");
    expect(err.fix).toContain("Once your user manager runs again");
    expect(err.fix).not.toContain("Fix the cause shown above");
    expect(host.calls.filter((c) => c.includes("--validate"))).toEqual([]); // the launcher's checks need the manager's environment
  });
}

test("a start that fails while the manager listens is containerd's failure: the launcher's checks run, the fix is the cause's", async () => {
  host = await machine({
    files: { "/home/alice/Downloads/containerd-rootless-systemd": "BINARY" },
    commands: {
      systemctl: (argv) => {
        const verb = argv[2];
        if (verb === "show-environment") return ok("HOME=/home/alice\nXDG_RUNTIME_DIR=/run/user/1000\n");
        if (verb === "show") return ok(argv.slice(argv.indexOf("--") + 1).map((n) => `Id=${n}\nLoadState=${n === "dbus.socket" ? "loaded" : "not-found"}\nActiveState=inactive\nSubState=dead\nMainPID=0\nUnitFileState=\nNRestarts=0\n`).join("\n"));
        if (verb === "start") return failed("Job for containerd.service failed because the control process exited with error code.");
        return ok();
      },
    },
  });
  const stop = await listenUnix(host, "/run/user/1000/systemd/private");
  try {
    const err = (await install(runContext({ host }, {}), { skipSmokeTest: true }).catch((e) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).not.toContain("the systemd user manager stopped");
    expect(err.fix).toBe("Fix the cause shown above and run install again.");
    expect(host.calls.filter((c) => c.includes("--validate")).length).toBe(1);
  } finally {
    stop();
  }
});
