// The installer's status screen on a RootlessKit that has --detach-netns (>= 2.0: `auto` turns it
// on, `status` reports detach-netns "installed" while $STATE_DIR/netns exists). The screen starts
// from what is installed, every installed add-on ticked (ui/app.tsx), and its choices are checked
// and planned as an `apply -f` file (src/core/desired-state/choices.ts): changing one setting plans
// exactly that change, an add-on in effect by default is never planned as an install, and
// unticking it is the setting `detach-netns = false`.
import { afterEach, expect, test } from "bun:test";
import { ok, type TestHost } from "../helpers/test-host.ts";
import { fakeSystemd } from "../helpers/fake-systemd.ts";
import { applyPlan } from "../../src/core/plan/execute.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { rootlesskitHandler, rootlesskitHelp } from "../helpers/rootlesskit-help.ts";
import { createEngine } from "../../ui/engine/create-engine.ts";
import type { Choices } from "../../ui/engine/types.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const OVERRIDE = "/home/alice/.config/systemd/user/containerd.service.d/override.conf";
/** RootlessKit's detached network namespace, which it creates only with --detach-netns */
const NETNS = "/run/user/1000/containerd-rootless/netns";

/** alice's running containerd on RootlessKit 2.x with MTU 1500 set, detach-netns in effect by default (auto). */
async function machine() {
  let paths;
  ({ h: host, paths } = await fakeSystemd({
    files: { [OVERRIDE]: '[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n', [NETNS]: "" },
    commands: {
      rootlesskit: rootlesskitHandler(rootlesskitHelp("2.3.6")),
      slirp4netns: () => ok("Usage: slirp4netns [OPTION]... PID|PATH TAPNAME\n  --netns-type=TYPE\n"),
    },
  }));
  await applyPlan(host, (await planInstall(host, paths)).steps); // installed and running, as install leaves it
  return createEngine(host);
}

/** What the status screen starts from (ui/app.tsx's base()): the installed add-ons ticked, the drop-in's settings. */
async function fromStatus(engine: ReturnType<typeof createEngine>): Promise<Choices> {
  const status = await engine.status();
  return { addons: status.addons.filter((a) => a.installed).map((a) => a.id), addonOptions: {}, settings: status.settings };
}

const overrideWrites = (steps: { kind: string; path?: string; content?: string }[]) => steps.filter((s) => s.kind === "write" && s.path === OVERRIDE);

test("detach-netns in effect by default shows as installed, and changing only the MTU plans exactly the MTU change", async () => {
  const engine = await machine();
  const base = await fromStatus(engine);
  expect(base.addons).toContain("detach-netns"); // in effect: ticked on the screen
  const plan = await engine.plan({ ...base, settings: { ...base.settings, mtu: "1400" } });
  expect(plan.title).toBe("Change settings");
  expect(plan.items.map((i) => i.label).join("\n")).not.toContain("detach-netns");
  const writes = overrideWrites(plan.steps as never);
  expect(writes).toHaveLength(1);
  expect(writes[0]!.content).toBe('[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400"\n');
  expect(plan.items[0]).toMatchObject({ kind: "file", label: "Write ~/.config/systemd/user/containerd.service.d/override.conf (MTU 1400)", effect: "update" });
});

test("the status screen's choices unchanged plan nothing to change", async () => {
  const engine = await machine();
  const plan = await engine.plan(await fromStatus(engine));
  expect(plan.items.filter((i) => i.effect !== "unchanged")).toEqual([]);
});

test("unticking detach-netns while it is in effect is the setting detach-netns = false, written once", async () => {
  const engine = await machine();
  const base = await fromStatus(engine);
  const plan = await engine.plan({ ...base, addons: base.addons.filter((a) => a !== "detach-netns") });
  const writes = overrideWrites(plan.steps as never);
  expect(writes).toHaveLength(1);
  expect(writes[0]!.content).toBe('[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="false"\n');
});
