// Registries on this machine's loopback (containerd/registries.ts): found in nerdctl's hosts
// directories and saved logins; `check` warns when detach-netns is off, with the fix RootlessKit
// allows (detach-netns on RootlessKit >= 2, another address on 1.x), says they are reachable with
// detach-netns, and says nothing when none is set up; `configure --detach-netns false` warns.
import { test, expect, afterEach } from "bun:test";
import { type TestHost } from "../helpers/test-host.ts";
import { machine, check, byId } from "./checks-fixture.ts";
import { rootlesskitHandler, rootlesskitHelp } from "../helpers/rootlesskit-help.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { configuredRegistries, isLoopbackRegistry } from "../../src/core/containerd/registries.ts";
import { configureWarnings, planConfigure } from "../../src/core/rootlesskit/configure.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

const HOSTS_DIR = "/home/alice/.config/containerd/certs.d";
const RK2 = { rootlesskit: rootlesskitHandler(rootlesskitHelp("2.3.6")) };
const DETACH_OFF = { "/home/alice/.config/systemd/user/containerd.service.d/override.conf": '[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="false"\n' };

test("loopback names: 127.0.0.0/8, localhost and ::1, with or without a port; other hosts are not", () => {
  for (const r of ["127.0.0.1:5000", "localhost:5000", "localhost", "127.1.2.3", "[::1]:5000"]) expect(isLoopbackRegistry(r)).toBe(true);
  for (const r of ["registry.example.com:5000", "192.0.2.2:5000", "docker.io", "[fd00::2]:5000"]) expect(isLoopbackRegistry(r)).toBe(false);
});

test("registries come from nerdctl's hosts directories (its defaults, or hosts_dir in nerdctl.toml) and saved logins", async () => {
  host = await machine({
    dirs: [`${HOSTS_DIR}/127.0.0.1:5000`, `${HOSTS_DIR}/_default`, "/home/alice/.config/docker/certs.d/registry.example.com", "/srv/certs/localhost:5001"],
    files: { "/home/alice/.docker/config.json": JSON.stringify({ auths: { "https://localhost:5002/v1/": {}, "docker.io": {} } }) },
  });
  const paths = resolvePaths(host.env, host.uid);
  expect((await configuredRegistries(host, paths)).map((r) => r.host).sort()).toEqual(["127.0.0.1:5000", "docker.io", "localhost:5002", "registry.example.com"]);
  await host.cleanup();
  host = await machine({ dirs: [`${HOSTS_DIR}/127.0.0.1:5000`, "/srv/certs/localhost:5001"], files: { "/home/alice/.config/nerdctl/nerdctl.toml": 'hosts_dir = ["/srv/certs"]\n' } });
  expect(await configuredRegistries(host, resolvePaths(host.env, host.uid))).toEqual([{ host: "localhost:5001", where: "/srv/certs/localhost:5001" }]);
});

test("check: a loopback registry without detach-netns is a warning naming it, --disable-host-loopback and the fix this RootlessKit allows", async () => {
  host = await machine({ dirs: [`${HOSTS_DIR}/127.0.0.1:5000`] });
  const f = byId(await check(host), "registry.loopback")!;
  expect(f.level).toBe("warning");
  expect(f.message).toContain(`127.0.0.1:5000, in ${HOSTS_DIR}/127.0.0.1:5000`);
  expect(f.message).toContain("--disable-host-loopback");
  expect(f.message).toContain('("connect: connection refused")');
  expect(f.fix).toContain("install RootlessKit 2.0 or later"); // RootlessKit 1.1.0 has no --detach-netns
  await host.cleanup();
  host = await machine({ dirs: [`${HOSTS_DIR}/127.0.0.1:5000`], commands: RK2, files: DETACH_OFF });
  expect(byId(await check(host), "registry.loopback")!.fix).toContain("containerd-rootless-systemd configure --detach-netns true");
});

test("check: with detach-netns (RootlessKit 2's auto) the registry is reachable; without any loopback registry nothing is said", async () => {
  host = await machine({ dirs: [`${HOSTS_DIR}/localhost:5000`], commands: RK2 });
  expect(byId(await check(host), "registry.loopback")).toMatchObject({ level: "ok", message: expect.stringContaining("(localhost:5000) is reachable") });
  await host.cleanup();
  host = await machine({ dirs: [`${HOSTS_DIR}/registry.example.com`], commands: RK2, files: DETACH_OFF });
  expect((await check(host)).findings.filter((f) => f.id.startsWith("registry"))).toEqual([]);
});

test("configure --detach-netns false warns that loopback registries go out of reach, naming the ones set up; other changes do not", async () => {
  host = await machine({ dirs: [`${HOSTS_DIR}/127.0.0.1:5000`], commands: RK2 });
  const paths = resolvePaths(host.env, host.uid);
  const off = { set: { detachNetns: "false" }, reset: [] };
  const [warning] = await configureWarnings(host, paths, await planConfigure(host, paths, off), off);
  expect(warning).toContain("127.0.0.1:5000, in /home/alice/.config/containerd/certs.d/127.0.0.1:5000");
  expect(warning).toContain("cannot be reached");
  expect(warning).toContain("configure --detach-netns true");
  const mtu = { set: { mtu: "1500" }, reset: [] };
  expect(await configureWarnings(host, paths, await planConfigure(host, paths, mtu), mtu)).toEqual([]);
});
