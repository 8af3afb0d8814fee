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
    await a.waitFor("Done. The plan was applied.");
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
    await a.waitFor("Done.");
  });

  test("Esc from the review goes back to the settings, q quits with 0", async () => {
    const a = app();
    await a.waitFor("RootlessKit   1.1.0");
    await a.press(KEY.enter);
    await a.waitFor("Checking");
    a.engine.finishChecks([]);
    await a.waitFor("Requirements are satisfied.");
    await a.press(KEY.enter);
    await a.waitFor("BuildKit");
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
