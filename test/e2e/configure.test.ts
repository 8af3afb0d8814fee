// `configure` for real: the compiled binary changes RootlessKit's MTU in override.conf,
// containerd is restarted and RootlessKit runs with it; a value the installed RootlessKit
// cannot honour (detach-netns on 1.1.0) is refused with nothing changed.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createSandbox, type Sandbox } from "../../scripts/sandbox.ts";

const BINARY = join(import.meta.dir, "../../dist/containerd-rootless-systemd");
let sb: Sandbox;
let bin: string;
let override: string;

beforeAll(async () => {
  if (!existsSync(BINARY)) throw new Error(`build the binary first: bun scripts/build.ts (${BINARY} is missing)`);
  sb = await createSandbox("crsrk-e2e-conf");
  bin = sb.installBinary(BINARY);
  override = join(sb.home, ".config/systemd/user/containerd.service.d/override.conf");
  const r = sb.run([bin, "install", "--yes"], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`install failed: ${r.stdout}\n${r.stderr}`);
}, 90_000);

afterAll(async () => {
  await sb?.destroy();
}, 60_000);

function rootlesskitArgs(): string[] {
  const pid = Number(sb.systemctl("show", "-P", "MainPID", "containerd.service").stdout.trim());
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
}

test("configure --mtu 1500: written, restarted, RootlessKit runs with MTU 1500; --show says drop-in", () => {
  expect(rootlesskitArgs()).toContain("--mtu=65520");
  const r = sb.run([bin, "configure", "--mtu", "1500", "--yes"], { timeoutMs: 60_000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("[INFO] containerd.service will be restarted");
  expect(readFileSync(override, "utf8")).toBe(`[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n`);
  expect(rootlesskitArgs()).toContain("--mtu=1500");
  const show = sb.run([bin, "configure", "--show", "--json"]);
  const mtu = JSON.parse(show.stdout).settings.find((s: { key: string }) => s.key === "mtu");
  expect(mtu).toMatchObject({ value: "1500", source: "drop-in", resolved: "1500" });
  const again = sb.run([bin, "configure", "--mtu", "1500", "--yes", "--json"]);
  expect(JSON.parse(again.stdout).changed).toBe(false);
}, 90_000);

test("--detach-netns true on RootlessKit 1.1.0 is refused and nothing changes", () => {
  const before = readFileSync(override, "utf8");
  const pid = sb.systemctl("show", "-P", "MainPID", "containerd.service").stdout.trim();
  const r = sb.run([bin, "configure", "--detach-netns", "true", "--yes"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("--detach-netns=true needs RootlessKit >= 2.0 (--detach-netns), but the installed version is 1.1.0");
  expect(readFileSync(override, "utf8")).toBe(before);
  expect(sb.systemctl("show", "-P", "MainPID", "containerd.service").stdout.trim()).toBe(pid);
  const bad = sb.run([bin, "configure", "--mtu", "70000", "--yes"]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("invalid --mtu=70000: out of range");
  expect(readFileSync(override, "utf8")).toBe(before);
}, 60_000);
