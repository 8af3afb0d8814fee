// `configure` for real: the compiled binary changes RootlessKit's MTU in override.conf,
// containerd is restarted and RootlessKit runs with it; a value the installed RootlessKit
// cannot honour (detach-netns on 1.1.0) is refused with nothing changed.
import { test, expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useSandbox } from "../helpers/e2e.ts";

const e2e = useSandbox("crsrk-e2e-conf", { setup: (e) => void e.mustRun(["install", "--yes"], { timeoutMs: 60_000 }), setupTimeoutMs: 90_000 });
const override = () => join(e2e.sb.home, ".config/systemd/user/containerd.service.d/override.conf");
const rootlesskitArgs = e2e.rootlesskitArgs;

test("configure --mtu 1500: written, restarted, RootlessKit runs with MTU 1500; --show says drop-in", () => {
  expect(rootlesskitArgs()).toContain("--mtu=65520");
  const r = e2e.run(["configure", "--mtu", "1500", "--yes"], { timeoutMs: 60_000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("[INFO] containerd.service will be restarted");
  expect(readFileSync(override(), "utf8")).toBe(`[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n`);
  expect(rootlesskitArgs()).toContain("--mtu=1500");
  const show = e2e.run(["configure", "--show", "--json"]);
  const mtu = JSON.parse(show.stdout).settings.find((s: { key: string }) => s.key === "mtu");
  expect(mtu).toMatchObject({ value: "1500", source: "drop-in", resolved: "1500" });
  const again = e2e.run(["configure", "--mtu", "1500", "--yes", "--json"]);
  expect(JSON.parse(again.stdout).changed).toBe(false);
}, 90_000);

test("--detach-netns true on RootlessKit 1.1.0 is refused and nothing changes", () => {
  const before = readFileSync(override(), "utf8");
  const pid = e2e.show("containerd.service", "MainPID");
  const r = e2e.run(["configure", "--detach-netns", "true", "--yes"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("--detach-netns=true needs RootlessKit >= 2.0 (--detach-netns), but the installed version is 1.1.0");
  expect(readFileSync(override(), "utf8")).toBe(before);
  expect(e2e.show("containerd.service", "MainPID")).toBe(pid);
  const bad = e2e.run(["configure", "--mtu", "70000", "--yes"]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("invalid --mtu=70000: out of range");
  expect(readFileSync(override(), "utf8")).toBe(before);
}, 60_000);
