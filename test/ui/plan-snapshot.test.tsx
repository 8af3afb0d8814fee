// The review and apply screens for a full install with one setting (MTU 1500) and one add-on
// (fuse-overlayfs), planned by the real engine on a TestHost and rendered at 100x60: each step
// is one imperative label (src/core/plan/label.ts) with its why under it in the review. The
// snapshots are the words a user reads; a change to a label or to the plan shows up here.
import { afterEach, describe, expect, test } from "bun:test";
import { cleanup } from "ink-testing-library";
import { ok, type TestHost } from "../helpers/test-host.ts";
import { fakeSystemd } from "../helpers/fake-systemd.ts";
import { createEngine } from "../../ui/engine/create-engine.ts";
import { renderWith } from "./harness.tsx";
import { scriptedEngine } from "./scripted-engine.ts";
import { ReviewScreen } from "../../ui/screens/review.tsx";
import { ApplyScreen } from "../../ui/screens/apply.tsx";
import type { PlanView } from "../../ui/engine/types.ts";

let host: TestHost;
afterEach(() => {
  cleanup();
  host?.cleanup();
});

const RK_HELP = "--net value  network driver [host, slirp4netns, vpnkit, lxc-user-nic]\n--port-driver value  port driver [none, builtin, slirp4netns]\n";
const CHOICES = { addons: ["fuse-overlayfs"], addonOptions: {}, settings: { mtu: "1500" } };

async function fullInstallPlan(): Promise<PlanView> {
  ({ h: host } = await fakeSystemd({
    unit: { active: false, enabled: false },
    files: { "/dev/fuse": "" },
    commands: {
      rootlesskit: (argv) => (argv[1] === "--version" ? ok("rootlesskit version 1.1.0\n") : ok(RK_HELP)),
      slirp4netns: () => ok("Usage: slirp4netns [OPTION]... PID|PATH TAPNAME\n  --netns-type=TYPE\n"),
      "containerd-fuse-overlayfs-grpc": () => ok("containerd-fuse-overlayfs-grpc version v2.1.0\n"),
      "fuse-overlayfs": () => ok("fuse-overlayfs: version 1.10\n"),
    },
  }));
  return createEngine(host).plan(CHOICES);
}

describe("a full install with one setting and one add-on", () => {
  test("review: one label per step, the why under it, the add-on deferred", async () => {
    const plan = await fullInstallPlan();
    expect(plan.deferred).toEqual(["fuse-overlayfs"]);
    const h = renderWith(<ReviewScreen request={{ kind: "choices", choices: CHOICES }} onBack={() => {}} onApply={() => {}} />, scriptedEngine({ plan }), { cols: 100, rows: 60 });
    const f = await h.waitFor("Then the add-ons");
    // systemd has not loaded the unit yet: the start reads the unit and the drop-in, no reload
    expect(f).not.toContain("Reload systemd");
    expect(f).toMatchSnapshot();
  });

  test("apply: the same labels, marked as they run", async () => {
    const plan = await fullInstallPlan();
    const engine = scriptedEngine({ plan, manualApply: true });
    const h = renderWith(<ApplyScreen plan={plan} onDone={() => {}} onExit={() => {}} />, engine, { cols: 100, rows: 60 });
    await h.waitFor(`0/${plan.steps.length}`);
    engine.nextStep();
    engine.nextStep();
    const f = await h.waitFor(`2/${plan.steps.length}`);
    expect(f.replace(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/g, "*")).toMatchSnapshot();
  });
});
