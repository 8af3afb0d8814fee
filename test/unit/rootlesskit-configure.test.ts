import { test, expect } from "bun:test";
import { planConfigure } from "../../src/core/rootlesskit/configure.ts";
import { DEBIAN_12_ROOTLESSKIT as FACTS, OVERRIDE, configureTestHost } from "../helpers/rootlesskit-facts.ts";

const setup = configureTestHost();

test("plans the new text and the settings it leads to; writes nothing", async () => {
  const { host, paths } = await setup({ [OVERRIDE]: "# mine\n[Service]\nEnvironment=FOO=bar\n" });
  const plan = await planConfigure(host, paths, { set: { mtu: "1500" }, reset: [] }, FACTS);
  expect(plan.after).toBe(`# mine\n[Service]\nEnvironment=FOO=bar\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n`);
  expect(plan.settings.mtu).toBe(1500);
  expect(plan.diff).toContain(`+Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"`);
  expect(await host.readText(OVERRIDE)).toBe("# mine\n[Service]\nEnvironment=FOO=bar\n");
});

test("invalid or unsupported values are refused before anything is written", async () => {
  const { host, paths } = await setup();
  await expect(planConfigure(host, paths, { set: { mtu: "0" }, reset: [] }, FACTS)).rejects.toThrow("invalid --mtu=0: out of range");
  await expect(planConfigure(host, paths, { set: { net: "foo" }, reset: [] }, FACTS)).rejects.toThrow("invalid --net=foo");
  await expect(planConfigure(host, paths, { set: { detachNetns: "true" }, reset: [] }, FACTS)).rejects.toThrow("--detach-netns=true needs RootlessKit >= 2.0");
  await expect(planConfigure(host, paths, { set: { net: "vpnkit" }, reset: [] }, FACTS)).rejects.toThrow("`vpnkit` is not installed");
  expect(await host.exists(OVERRIDE)).toBe(false);
});

test("the combination counts: a sandbox=true next to a manager-environment detach-netns is checked as a whole", async () => {
  const { host, paths } = await setup({}, "CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=true\n");
  await expect(planConfigure(host, paths, { set: { mtu: "1500" }, reset: [] }, { ...FACTS, detachNetns: true, version: "2.3.1" }).then(() => "ok")).resolves.toBe("ok");
  await expect(planConfigure(host, paths, { set: { slirp4netnsSandbox: "true" }, reset: [] }, { ...FACTS, detachNetns: true, version: "2.3.1" })).rejects.toThrow("conflicts with detach-netns");
});

test("resetting our only key removes the file; resetting an unset key changes nothing", async () => {
  const { host, paths } = await setup({ [OVERRIDE]: `[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n` });
  const plan = await planConfigure(host, paths, { set: {}, reset: ["mtu"] }, FACTS);
  expect(plan.after).toBeNull();
  expect(plan.changed).toBe(true);
  expect(plan.settings.mtu).toBe(65520);
  expect((await planConfigure(host, paths, { set: {}, reset: ["net"] }, FACTS)).changed).toBe(false);
});

test("a drop-in that writes a path with a specifier (%t) is read as systemd expands it, not refused", async () => {
  const { host, paths } = await setup({ [OVERRIDE]: `[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR=%t/rk\n` });
  const plan = await planConfigure(host, paths, { set: { mtu: "1500" }, reset: [] }, FACTS);
  expect(plan.settings.stateDir).toBe(`${paths.runtimeDir}/rk`);
  expect(plan.effective.find((e) => e.key === "stateDir")).toMatchObject({ value: `${paths.runtimeDir}/rk`, source: "drop-in" });
  expect(plan.after).toContain("Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR=%t/rk\n");
});
