// The whole app: which screen it opens on, a full flow with a scripted engine, NO_COLOR,
// 80x24 and a resize.
import { afterEach, describe, expect, test } from "bun:test";
import { cleanup, render } from "ink-testing-library";
// Ink carries its own chalk: set the level of that one
import chalk from "../../node_modules/ink/node_modules/chalk/source/index.js";
import { App } from "../../ui/app.tsx";
import { themeFor } from "../../ui/theme.ts";
import { KEY, renderWith } from "./harness.tsx";
import { scriptedEngine, FINDINGS } from "./scripted-engine.ts";
import { WelcomeScreen } from "../../ui/screens/welcome.tsx";
import { ReviewScreen } from "../../ui/screens/review.tsx";
import { fakeSystemd } from "../helpers/fake-systemd.ts";
import { createEngine } from "../../ui/engine/create-engine.ts";

afterEach(() => cleanup());

function app(engine = scriptedEngine(), env: Record<string, string> = {}) {
  const exits: number[] = [];
  const inst = render(<App context={{ engine, theme: themeFor(env), version: "9.9.9" }} onExit={(c) => exits.push(c)} />);
  const waitFor = async (text: string, timeoutMs = 5000) => {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if ((inst.lastFrame() ?? "").includes(text)) return inst.lastFrame()!;
      await Bun.sleep(5);
    }
    throw new Error(`timed out waiting for ${text}; last frame:\n${inst.lastFrame()}`);
  };
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      await Bun.sleep(15); // let the new screen attach its input handler
      inst.stdin.write(k);
      await Bun.sleep(k === KEY.esc ? 80 : 15);
    }
  };
  return { inst, exits, waitFor, press, engine };
}

/** From the welcome through passing checks to the add-on choice. */
async function toChoose(a: ReturnType<typeof app>) {
  await a.waitFor("RootlessKit   1.1.0");
  await a.press(KEY.enter);
  await a.waitFor("Checking");
  a.engine.finishChecks([]);
  await a.waitFor("Requirements are satisfied.");
  await a.press(KEY.enter);
  await a.waitFor("BuildKit");
}

describe("app", () => {
  test("not installed: opens on the welcome screen", async () => {
    const a = app();
    await a.waitFor("Welcome");
  });

  test("already installed: opens on the status", async () => {
    const a = app(scriptedEngine({ status: { installed: true, active: true, detail: ["active (running)"] } }));
    const f = await a.waitFor("containerd.service  active");
    expect(f).toContain("· Installed");
  });

  test("a full install: welcome -> checks -> choose -> settings -> review -> apply -> done", async () => {
    const a = app();
    await a.waitFor("RootlessKit   1.1.0");
    await a.press(KEY.enter);
    await a.waitFor("Checking RootlessKit");
    a.engine.finishChecks([FINDINGS[0]!]);
    await a.waitFor("Requirements are satisfied.");
    await a.press(KEY.enter);
    await a.waitFor("BuildKit");
    await a.press(KEY.down, KEY.down, KEY.space, KEY.enter); // BuildKit
    await a.waitFor("BuildKit: worker");
    await a.press(KEY.down, "1", "5", "0", "0", KEY.enter);
    await a.waitFor("Review the plan");
    expect(a.engine.calls).toContain(`plan ${JSON.stringify({ addons: ["buildkit"], addonOptions: {}, settings: { mtu: "1500" } })}`);
    await a.waitFor("Enter apply");
    await a.press(KEY.enter);
    await a.waitFor("Done: containerd installed and running; nothing else touched.");
    await a.press(KEY.enter);
    expect(a.exits).toEqual([0]);
  });

  test("installed -> uninstall -> review -> apply -> done", async () => {
    const a = app(scriptedEngine({ status: { installed: true, active: true } }));
    await a.waitFor("u uninstall");
    await a.press("u");
    await a.waitFor("Uninstall: 3 steps.");
    expect(a.engine.calls).toContain("uninstall false");
    await a.press(KEY.enter);
    await a.waitFor("Done: ");
  });

  test("Esc from the review goes back to the settings, q quits with 0", async () => {
    const a = app();
    await toChoose(a);
    await a.press(KEY.enter);
    await a.waitFor("MTU");
    await a.press(KEY.enter);
    await a.waitFor("Enter apply");
    await a.press(KEY.esc);
    await a.waitFor("Leave a value empty");
    await a.press(KEY.esc);
    await a.waitFor("Space tick");
    await a.press("q");
    expect(a.exits).toEqual([0]);
    expect(a.engine.calls).not.toContain("apply");
  });
});

describe("app: Esc goes back", () => {
  test("from the checks to the welcome (the app does not quit); Enter runs the checks again", async () => {
    const a = app();
    await a.waitFor("RootlessKit   1.1.0");
    await a.press(KEY.enter);
    await a.waitFor("Checking RootlessKit");
    a.engine.finishChecks();
    await a.waitFor("must be fixed");
    await a.press(KEY.esc);
    await a.waitFor("Enter run the checks");
    expect(a.exits).toEqual([]);
    await a.press(KEY.enter);
    await a.waitFor("Checking RootlessKit");
    expect(a.engine.calls.filter((c) => c === "checks")).toHaveLength(2);
  });
});

describe("app: going back keeps what was typed", () => {
  test("settings typed, Esc to the add-ons and Enter again: the values are still there and planned", async () => {
    const a = app();
    await toChoose(a);
    await a.press(KEY.enter);
    await a.waitFor("MTU");
    await a.press(KEY.down, "1", "5", "0", "0");
    await a.waitFor("1500");
    await a.press(KEY.esc);
    await a.waitFor("Space tick");
    await a.press(KEY.enter);
    const f = await a.waitFor("Leave a value empty");
    expect(f).toMatch(/MTU\s+1500/);
    await a.press(KEY.enter);
    await a.waitFor("Enter apply");
    expect(a.engine.calls.find((c) => c.startsWith("plan "))).toContain('"mtu":"1500"');
  });

  test("an add-on's option typed, then the add-on unticked: the option is dropped, not sent as a setting", async () => {
    const a = app();
    await toChoose(a);
    await a.press(KEY.down, KEY.down, KEY.space, KEY.enter);
    await a.waitFor("BuildKit: worker");
    await a.press(KEY.down, KEY.down, KEY.right);
    await a.waitFor("‹ oci ›");
    await a.press(KEY.esc);
    await a.waitFor("Space tick");
    await a.press(KEY.down, KEY.down, KEY.space, KEY.enter); // BuildKit unticked
    const f = await a.waitFor("Leave a value empty");
    expect(f).not.toContain("BuildKit: worker");
    await a.press(KEY.enter);
    await a.waitFor("Enter apply");
    const plan = a.engine.calls.find((c) => c.startsWith("plan "))!;
    expect(plan).not.toContain("buildkit");
  });
});

describe("app: other paths", () => {
  test("the state cannot be read (no systemd --user): opens on the welcome with a notice", async () => {
    const engine = scriptedEngine();
    engine.status = async () => {
      throw new Error("systemctl --user show failed: Failed to connect to bus");
    };
    const a = app(engine);
    const f = await a.waitFor("Could not read the current state");
    expect(f).toContain("Failed to connect to bus");
    await a.waitFor("RootlessKit   1.1.0");
    await a.press(KEY.enter);
    await a.waitFor("Checking RootlessKit");
  });

  test("installed -> change settings: the current values are filled in; Esc goes back to the status", async () => {
    const a = app(scriptedEngine({ status: { installed: true, active: true, settings: { mtu: "1500" } } }));
    await a.waitFor("s settings");
    await a.press("s");
    const f = await a.waitFor("Leave a value empty");
    expect(f).toMatch(/MTU\s+1500/);
    await a.press(KEY.esc);
    await a.waitFor("· Installed");
    await a.press("s");
    await a.waitFor("Leave a value empty");
    await a.press(KEY.down, KEY.backspace, KEY.backspace, KEY.backspace, "4", "0", "0", KEY.enter);
    await a.waitFor("Enter apply");
    expect(a.engine.calls).toContain(`plan ${JSON.stringify({ addons: [], addonOptions: {}, settings: { mtu: "1400" } })}`);
  });

  test("installed -> add-ons: the installed ones start ticked; unticking one plans its removal", async () => {
    const engine = scriptedEngine({
      status: { installed: true, active: true, addons: [{ id: "buildkit", title: "BuildKit", installed: true }] },
      addons: [{ id: "buildkit", title: "BuildKit", summary: "nerdctl build", available: true, installed: true, options: [] }],
    });
    const a = app(engine);
    await a.waitFor("a add-ons");
    await a.press("a");
    await a.waitFor("[x] BuildKit (installed)");
    await a.press(KEY.space, KEY.enter);
    await a.waitFor("Leave a value empty");
    await a.press(KEY.enter);
    await a.waitFor("Enter apply");
    expect(engine.calls).toContain(`plan ${JSON.stringify({ addons: [], addonOptions: {}, settings: {} })}`);
  });

  test("containerd from the nerdctl-full bundle: the real engine puts the fetch first in the reviewed plan, containerd's plan after it", async () => {
    const { h } = await fakeSystemd();
    try {
      // the size is asked through a loopback proxy nobody listens on: refused at once (no outside traffic)
      const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      closed.stop(true);
      (h.env as Record<string, string>).HTTPS_PROXY = `http://127.0.0.1:${closed.port}`;
      const real = createEngine(h);
      const engine = scriptedEngine();
      const plans: unknown[] = [];
      engine.components = real.components;
      engine.plan = async (c) => {
        plans.push(c);
        return real.plan(c);
      };
      const a = app(engine);
      await toChoose(a);
      // the engine's wording: no size is pinned for the tarballs, and the server cannot be asked here
      await a.waitFor("( ) fetch nerdctl-full v2.3.5 (size unknown)");
      expect(a.inst.lastFrame()).not.toContain("MB");
      await a.press("c", KEY.enter);
      // the bundle chosen: its version, source and checksum come first in the settings
      await a.waitFor("nerdctl-full version (--version)");
      expect(a.inst.lastFrame()).toContain("From: URL or file (--from)");
      await a.press(KEY.enter);
      const f = await a.waitFor("Enter apply");
      expect(plans).toEqual([{ addons: [], addonOptions: {}, settings: {}, components: true }]);
      expect(f).toContain("Fetch nerdctl-full 2.3.5 (containerd next): 1 step.");
      expect(f).toContain("Fetch, verify and activate nerdctl-full 2.3.5");
      expect(f).toContain("https://github.com/containerd/nerdctl/releases/download/v2.3.5/nerdctl-full-2.3.5-linux-");
      expect(f).toContain("Then containerd: its plan is made once the bundle is active");
    } finally {
      await h.cleanup();
    }
  });

  test("a plan with deferred add-ons: after containerd is applied, the add-ons' plan is reviewed", async () => {
    const engine = scriptedEngine();
    let n = 0;
    const base = engine.plan;
    engine.plan = async (c) => ({ ...(await base(c)), title: n++ === 0 ? "Install containerd (add-ons next)" : "Install containerd, add buildkit", deferred: n === 1 ? ["buildkit"] : undefined });
    const a = app(engine);
    await a.waitFor("RootlessKit   1.1.0");
    await a.press(KEY.enter);
    await a.waitFor("Checking");
    engine.finishChecks([]);
    await a.waitFor("Requirements are satisfied.");
    await a.press(KEY.enter);
    await a.waitFor("BuildKit");
    await a.press(KEY.down, KEY.down, KEY.space, KEY.enter);
    await a.waitFor("BuildKit: worker");
    await a.press(KEY.enter);
    const first = await a.waitFor("Enter apply");
    expect(first).toContain("(add-ons next)");
    expect(first).toContain("Then the add-ons (buildkit)");
    await a.press(KEY.enter);
    await a.waitFor("Install containerd, add buildkit");
    await a.press(KEY.enter);
    await a.waitFor("Done: containerd installed and running; nothing else touched.");
    expect(engine.calls.filter((c) => c === "apply").length).toBe(2);
  });
});

describe("terminal", () => {
  test("NO_COLOR: no colour sequences; without it, colours", () => {
    expect(themeFor({ NO_COLOR: "1" })).toEqual({});
    expect(themeFor({ NO_COLOR: "" }).ok).toBe("green");
    expect(themeFor({}).error).toBe("red");
  });

  test("NO_COLOR frames carry no colour escapes, on a colour terminal", async () => {
    const saved = chalk.level;
    chalk.level = 1; // as on a colour terminal (tests write to a fake stream)
    try {
      const colored = renderWith(<ReviewScreen request={{ kind: "uninstall", purge: false }} onBack={() => {}} onApply={() => {}} />, scriptedEngine());
      const c = await colored.waitFor("+[Unit]");
      expect(c).toMatch(/\x1b\[(?:3[0-7]|9[0-7])m/);
      colored.unmount();
      const plain = renderWith(<ReviewScreen request={{ kind: "uninstall", purge: false }} onBack={() => {}} onApply={() => {}} />, scriptedEngine(), { env: { NO_COLOR: "1" } });
      const p = await plain.waitFor("+[Unit]");
      expect(p).not.toMatch(/\x1b\[(?:3[0-7]|9[0-7])m/);
    } finally {
      chalk.level = saved;
    }
  });

  test("a resize re-wraps the content to the new width", async () => {
    const h = renderWith(<WelcomeScreen onNext={() => {}} />, scriptedEngine(), { cols: 80, rows: 24 });
    await h.waitFor("RootlessKit   1.1.0");
    const wide = h.lastFrame();
    expect(wide).toContain("Sets up rootless containerd as a systemd user service, with its add-ons.");
    h.resize(50, 20);
    const narrow = await h.waitFor((f) => f !== wide && f.includes("RootlessKit"));
    for (const l of narrow.split("\n")) expect(Bun.stringWidth(l)).toBeLessThanOrEqual(50);
    expect(narrow.split("\n").length).toBeLessThan(20);
    h.resize(80, 24);
    await h.waitFor((f) => f.includes("with its add-ons."));
  });
});
