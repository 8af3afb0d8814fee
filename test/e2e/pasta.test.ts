// pasta's port-driver rule, from what the installed RootlessKit is: with a RootlessKit that lists
// pasta (2.x, Debian 13), `configure --net pasta` alone is refused before anything changes (RootlessKit
// takes pasta only with the implicit or none port driver), and with `--port-driver implicit` the
// compiled binary restarts containerd on pasta, whose process and interface the network check saw.
// With a RootlessKit without pasta (1.x, Debian 12) the driver itself is refused, naming its version. The sandbox has
// no AppArmor (pasta unconfined); the confined pasta is test/vm/network.test.ts's.
import { test, expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useSandbox } from "../helpers/e2e.ts";
import { machine } from "../helpers/machine.ts";

const e2e = useSandbox("crsrk-e2e-pasta", { setup: (e) => void e.mustRun(["install", "--yes"], { timeoutMs: 60_000 }), setupTimeoutMs: 90_000 });
const override = () => join(e2e.sb.home, ".config/systemd/user/containerd.service.d/override.conf");
const read = (p: string) => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return null;
  }
};
const help = () => e2e.sb.run(["rootlesskit", "--help"]).stdout;

test("configure --net pasta: refused unless with a port driver RootlessKit starts pasta with; with implicit, containerd runs on a live pasta", () => {
  const before = read(override());
  const pid = e2e.show("containerd.service", "MainPID");
  const listed = /--net value[^\n]*\bpasta\b/.test(help());
  const alone = e2e.run(["configure", "--net", "pasta", "--yes"]);
  expect(alone.code).toBe(1);
  expect(alone.stderr).toContain(
    listed
      ? "--net=pasta needs --port-driver=implicit (pasta forwards the ports itself) or none, but the port driver is builtin (the default)"
      : `--net=pasta: the installed RootlessKit ${machine().rootlesskit.version} does not support this network driver`,
  );
  expect(read(override())).toBe(before);
  expect(e2e.show("containerd.service", "MainPID")).toBe(pid);
  if (!listed) return; // this RootlessKit has no pasta: the refusal above is all there is to see
  const on = e2e.run(["configure", "--net", "pasta", "--port-driver", "implicit", "--yes"], { timeoutMs: 90_000 });
  expect(on.stderr).toBe("");
  expect(on.code).toBe(0);
  expect(on.stdout).toContain("containerd.service restarted; RootlessKit runs with the new settings, and its network works.");
  expect(e2e.rootlesskitArgs()).toEqual(expect.arrayContaining(["--net=pasta", "--port-driver=implicit"]));
  const reset = e2e.run(["configure", "--reset", "net", "--reset", "port-driver", "--yes"], { timeoutMs: 90_000 });
  expect(reset.code).toBe(0);
  expect(read(override())).toBe(before);
}, 240_000);
