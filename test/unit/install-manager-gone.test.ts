// The user manager going down while install starts containerd: the start job is only
// "canceled", and then nothing answers. install must say the manager stopped (and how to
// go on), not that containerd failed.
import { afterEach, expect, test } from "bun:test";
import { machine } from "./checks-fixture.ts";
import { failed, ok, type TestHost } from "../helpers/test-host.ts";
import { runContext } from "../../src/commands/_shared.ts";
import { install } from "../../src/core/lifecycle/install.ts";
import { UserError } from "../../src/core/os/errors.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

test("a start job canceled because the manager went away: install says the manager stopped, exit 1", async () => {
  let gone = false;
  host = await machine({
    files: { "/home/alice/Downloads/containerd-rootless-systemd": "BINARY" },
    commands: {
      systemctl: (argv) => {
        if (gone) return failed("Failed to connect to bus: Connection refused");
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
  expect(err.message).toContain("the systemd user manager stopped during the run");
  expect(err.fix).toContain("Once your user manager runs again");
});
