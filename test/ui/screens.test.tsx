// Component tests of every screen, rendered at 80x24 with a scripted engine.
import { afterEach, describe, expect, test } from "bun:test";
import { cleanup } from "ink-testing-library";
import { KEY, renderWith } from "./harness.tsx";
import { ADDONS, FINDINGS, PLAN, scriptedEngine } from "./scripted-engine.ts";
import { WelcomeScreen } from "../../ui/screens/welcome.tsx";
import { ChecksScreen } from "../../ui/screens/checks.tsx";
import { ChooseScreen } from "../../ui/screens/choose.tsx";
import { SettingsScreen } from "../../ui/screens/settings.tsx";
import { ReviewScreen } from "../../ui/screens/review.tsx";
import { ApplyScreen } from "../../ui/screens/apply.tsx";
import { DoneScreen } from "../../ui/screens/done.tsx";
import { StatusScreen } from "../../ui/screens/status.tsx";

afterEach(() => cleanup());

/** every line fits in 80 columns and the frame in 23 rows (Ink redraws the whole screen beyond that) */
function fits(frame: string, cols = 80, rows = 24) {
  const lines = frame.split("\n");
  expect(lines.length).toBeLessThan(rows);
  for (const l of lines) expect(Bun.stringWidth(l)).toBeLessThanOrEqual(cols);
}

describe("welcome", () => {
  test("summarises the environment, shows the help line, Enter goes on", async () => {
    let next = 0;
    const h = renderWith(<WelcomeScreen onNext={() => next++} />, scriptedEngine());
    const f = await h.waitFor("RootlessKit   1.1.0");
    for (const s of ["alice (uid 1000)", "Debian GNU/Linux 12", "6.1.0-13-amd64", "cgroup        v2", "containerd    1.6.20", "Enter run the checks · ↑↓ PgUp PgDn scroll · q quit"]) expect(f).toContain(s);
    fits(f);
    await h.press(KEY.enter);
    expect(next).toBe(1);
  });

  test("q, Esc and Ctrl+C quit (nothing is running)", async () => {
    for (const key of ["q", KEY.esc, KEY.ctrlC]) {
      const h = renderWith(<WelcomeScreen onNext={() => {}} />, scriptedEngine());
      await h.waitFor("Enter run the checks");
      await h.press(key);
      expect(h.quits).toEqual([0]);
      h.unmount();
    }
  });
});

describe("checks", () => {
  test("spinner while running; then each failure with its fix, the sudo block and the verdict", async () => {
    const engine = scriptedEngine();
    let next = 0;
    const h = renderWith(<ChecksScreen onNext={() => next++} onRerun={() => {}} onBack={() => {}} />, engine);
    const running = await h.waitFor("Checking RootlessKit functionality");
    expect(running).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Checking RootlessKit functionality/);
    engine.finishChecks();
    const f = await h.waitFor("must be fixed");
    expect(f).toContain("✗ Checking RootlessKit functionality");
    expect(f).toContain("✗ alice has no range in /etc/subuid");
    expect(f).toContain("fix: add a range of 65536 ids");
    expect(f).toContain("sudo sh -eux <<'EOF'");
    expect(f).toContain("echo alice:100000:65536 >> /etc/subuid");
    expect(f).toContain("r check again");
    fits(f);
    await h.press(KEY.enter);
    expect(next).toBe(0); // fatal findings: cannot go on
  });

  test("all good: 'Requirements are satisfied' and Enter goes on; r re-runs", async () => {
    const engine = scriptedEngine();
    let next = 0;
    let rerun = 0;
    const h = renderWith(<ChecksScreen onNext={() => next++} onRerun={() => rerun++} onBack={() => {}} />, engine);
    await h.waitFor("Checking RootlessKit");
    engine.finishChecks([FINDINGS[0]!, FINDINGS[2]!]);
    const f = await h.waitFor("Requirements are satisfied.");
    expect(f).toContain("! Checking RootlessKit functionality");
    expect(f).not.toContain("sudo sh");
    await h.press(KEY.enter, "r");
    expect([next, rerun]).toEqual([1, 1]);
  });

  test("each section resolves as its probes finish: one done while another still spins", async () => {
    const engine = scriptedEngine({ checkGroups: ["Checking RootlessKit functionality", "Checking cgroup v2"] });
    let next = 0;
    const h = renderWith(<ChecksScreen onNext={() => next++} onRerun={() => {}} onBack={() => {}} />, engine);
    await h.waitFor(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Checking cgroup v2/);
    engine.finishGroup(1, [FINDINGS[2]!]);
    const partial = await h.waitFor("! Checking cgroup v2");
    expect(partial).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Checking RootlessKit functionality/);
    expect(partial).toContain("cgroup v2 is not enabled"); // the finished section's finding is shown already
    expect(partial).not.toContain("Requirements are satisfied");
    await h.press(KEY.enter);
    expect(next).toBe(0); // not done yet: no going on
    engine.finishChecks([FINDINGS[0]!]);
    const f = await h.waitFor("Requirements are satisfied.");
    expect(f).toContain("✓ Checking RootlessKit functionality");
    expect(f).toContain("! Checking cgroup v2");
  });
});

describe("checks: Esc", () => {
  test("Esc goes back (to the welcome) instead of quitting, while running and after; the help line says so", async () => {
    const engine = scriptedEngine();
    let back = 0;
    const h = renderWith(<ChecksScreen onNext={() => {}} onRerun={() => {}} onBack={() => back++} />, engine);
    const running = await h.waitFor("Checking RootlessKit");
    expect(running).toContain("↑↓ PgUp PgDn scroll · Esc back · q quit");
    await h.press(KEY.esc);
    engine.finishChecks();
    await h.waitFor("must be fixed");
    await h.press(KEY.esc);
    expect([back, h.quits.length]).toEqual([2, 0]);
    expect(h.lastFrame()).toContain("r check again · ↑↓ PgUp PgDn scroll · Esc back · q quit");
  });
});

describe("choose", () => {
  test("lists add-ons with availability; an unavailable one says why and cannot be ticked", async () => {
    let chosen: string[] | null = null;
    const h = renderWith(<ChooseScreen initial={null} onBack={() => {}} onNext={(ids) => (chosen = ids)} />, scriptedEngine());
    const f = await h.waitFor("BuildKit");
    expect(f).toContain("[x] containerd");
    expect(f).toContain("› [ ] fuse-overlayfs snapshotter");
    expect(f).toContain("[-] detach-netns");
    expect(f).toContain("not available: needs RootlessKit >= 2.0 (found 1.1.0)");
    fits(f);
    await h.press(KEY.space, KEY.down, KEY.space, KEY.down, KEY.space);
    await h.waitFor("[x] BuildKit");
    expect(h.lastFrame()).toContain("[x] fuse-overlayfs snapshotter");
    expect(h.lastFrame()).toContain("[-] detach-netns");
    await h.press(KEY.enter);
    expect(chosen!).toEqual(["fuse-overlayfs", "buildkit"]);
  });

  test("move and tick in one chunk", async () => {
    let chosen: string[] | null = null;
    const h = renderWith(<ChooseScreen initial={[]} onBack={() => {}} onNext={(ids) => (chosen = ids)} />, scriptedEngine());
    await h.waitFor("BuildKit");
    await h.press(KEY.down + KEY.down + KEY.space);
    await h.waitFor("[x] BuildKit");
    await h.press(KEY.enter);
    expect(chosen!).toEqual(["buildkit"]);
  });

  test("↓ pressed while the add-ons are still loading leaves the cursor on the first one", async () => {
    let loaded: (a: typeof ADDONS) => void = () => {};
    const engine = { ...scriptedEngine(), addons: () => new Promise<typeof ADDONS>((resolve) => (loaded = resolve)) };
    const h = renderWith(<ChooseScreen initial={[]} onBack={() => {}} onNext={() => {}} />, engine);
    await h.waitFor("Looking for add-ons");
    await h.press(KEY.down);
    loaded(ADDONS);
    const f = await h.waitFor("BuildKit");
    expect(f).toContain("› [ ] fuse-overlayfs snapshotter");
  });

  test("containerd and RootlessKit: the distribution's or the nerdctl-full bundle; `c` switches, Enter passes the choice", async () => {
    let chosen: boolean | null = null;
    const h = renderWith(<ChooseScreen initial={[]} onBack={() => {}} onNext={(_ids, _all, components) => (chosen = components)} />, scriptedEngine());
    const f = await h.waitFor("fetch nerdctl-full");
    expect(f).toContain("containerd and RootlessKit:");
    expect(f).toContain("(•) use the distribution's");
    expect(f).toContain("( ) fetch nerdctl-full v2.3.5 (230 MB)");
    expect(f).toContain("c containerd from");
    fits(f);
    await h.press("c");
    await h.waitFor("(•) fetch nerdctl-full v2.3.5 (230 MB)");
    expect(h.lastFrame()).toContain("( ) use the distribution's");
    await h.press(KEY.enter);
    expect(chosen!).toBe(true);
  });

  test("with the bundle chosen, an add-on missing here comes with it and can be ticked; back to the distribution's, it cannot (and is not passed on)", async () => {
    let chosen: string[] | null = null;
    const h = renderWith(<ChooseScreen initial={[]} onBack={() => {}} onNext={(ids) => (chosen = ids)} />, scriptedEngine());
    await h.waitFor("not available: needs RootlessKit >= 2.0");
    await h.press("c");
    const f = await h.waitFor("detach-netns (comes with nerdctl-full v2.2.2)");
    expect(f).not.toContain("not available");
    fits(f);
    await h.press(KEY.down, KEY.space);
    await h.waitFor("[x] detach-netns");
    await h.press("c");
    await h.waitFor("not available: needs RootlessKit >= 2.0");
    await h.press(KEY.enter);
    expect(chosen!).toEqual([]);
  });

  test("the bundle's size unknown: no size is shown; a bundle already active is preselected", async () => {
    const components = { version: "2.3.5", selected: "bundle" as const, choices: [{ id: "distribution" as const, label: "use the distribution's" }, { id: "bundle" as const, label: "fetch nerdctl-full v2.3.5" }], fields: [] };
    let chosen: boolean | null = null;
    const h = renderWith(<ChooseScreen initial={[]} onBack={() => {}} onNext={(_ids, _all, c) => (chosen = c)} />, scriptedEngine({ components }));
    const f = await h.waitFor("fetch nerdctl-full");
    expect(f).toContain("(•) fetch nerdctl-full v2.3.5\n");
    expect(f).not.toContain("MB");
    await h.press(KEY.enter);
    expect(chosen!).toBe(true);
  });

  test("Esc goes back instead of quitting", async () => {
    let back = 0;
    const h = renderWith(<ChooseScreen initial={[]} onBack={() => back++} onNext={() => {}} />, scriptedEngine());
    await h.waitFor("BuildKit");
    await h.press(KEY.esc);
    expect(back).toBe(1);
    expect(h.quits).toEqual([]);
  });
});

describe("settings", () => {
  test("defaults shown; a value is validated as it is typed; Enter only when valid", async () => {
    let values: Record<string, string> | null = null;
    const h = renderWith(<SettingsScreen addons={[ADDONS[2]!]} initial={{}} onBack={() => {}} onNext={(v) => (values = v)} />, scriptedEngine());
    const f = await h.waitFor("MTU");
    expect(f).toContain("slirp4netns (default)");
    expect(f).toContain("65520 (default)");
    expect(f).toContain("BuildKit: worker");
    await h.press(KEY.down, "7", "0", "0", "0", "0");
    await h.waitFor("out of range: the MTU must be from 576 to 65520");
    await h.press(KEY.enter);
    expect(values).toBeNull();
    await h.press(KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, "1", "5", "0", "0");
    await h.waitFor((s) => s.includes("1500") && !s.includes("out of range"));
    // q is text here, not quit
    await h.press(KEY.down, KEY.right);
    await h.waitFor("‹ oci ›");
    await h.press(KEY.enter);
    expect(values!).toEqual({ mtu: "1500", "buildkit.worker": "oci" });
    expect(h.quits).toEqual([]);
  });

  test("Enter typed the moment the form shows (before React's passive effects) is not lost", async () => {
    let values: Record<string, string> | null = null;
    let sent = false;
    const h = renderWith(<SettingsScreen addons={[]} initial={{}} onBack={() => {}} onNext={(v) => (values = v)} />, scriptedEngine(), {
      // the fields load asynchronously; Enter goes out in the microtask after their first frame
      onFrame: (frame, stdin) => {
        if (sent || !frame.includes("65520 (default)")) return;
        sent = true;
        queueMicrotask(() => stdin.write(KEY.enter));
      },
    });
    await h.waitFor(() => values !== null);
    expect(sent).toBe(true);
    expect(values!).toEqual({});
  });

  test("several keys in one chunk (fast typing, paste) go to the right field", async () => {
    let values: Record<string, string> | null = null;
    const h = renderWith(<SettingsScreen addons={[]} initial={{ mtu: "1500" }} onBack={() => {}} onNext={(v) => (values = v)} />, scriptedEngine());
    await h.waitFor(/MTU\s+1500/);
    await h.press(KEY.down + KEY.backspace + KEY.backspace + KEY.backspace + "400");
    await h.waitFor(/MTU\s+1400/);
    await h.press(KEY.enter);
    expect(values!).toEqual({ mtu: "1400" });
  });

  test("a value and Enter in one chunk (fast typing over ssh) submit that value", async () => {
    let values: Record<string, string> | null = null;
    const h = renderWith(<SettingsScreen addons={[]} initial={{ mtu: "1500" }} onBack={() => {}} onNext={(v) => (values = v)} />, scriptedEngine());
    await h.waitFor(/MTU\s+1500/);
    await h.press(KEY.down + KEY.backspace + KEY.backspace + KEY.backspace + KEY.backspace + "9000" + KEY.enter);
    await h.waitFor(/MTU\s+9000/);
    expect(values!).toEqual({ mtu: "9000" });
  });

  test("an invalid value and Enter in one chunk are refused", async () => {
    let values: Record<string, string> | null = null;
    const h = renderWith(<SettingsScreen addons={[]} initial={{}} onBack={() => {}} onNext={(v) => (values = v)} />, scriptedEngine());
    await h.waitFor("MTU");
    await h.press(KEY.down + "70000" + KEY.enter);
    await h.waitFor("out of range");
    expect(values).toBeNull();
  });

  test("pasted text ending in a newline is typed (the newline is not part of the value)", async () => {
    let values: Record<string, string> | null = null;
    const h = renderWith(<SettingsScreen addons={[]} initial={{}} onBack={() => {}} onNext={(v) => (values = v)} />, scriptedEngine());
    await h.waitFor("MTU");
    await h.press(KEY.down, "\x1b[200~1400\n\x1b[201~");
    await h.waitFor(/MTU\s+1400/);
    expect(values).toBeNull();
  });

  test("Ctrl+C quits while typing", async () => {
    const h = renderWith(<SettingsScreen addons={[]} initial={{}} onBack={() => {}} onNext={() => {}} />, scriptedEngine());
    await h.waitFor("MTU");
    await h.press(KEY.ctrlC);
    expect(h.quits).toEqual([0]);
  });
});

describe("review", () => {
  test("files with their diff, then commands; Enter applies", async () => {
    let applied = 0;
    const engine = scriptedEngine();
    const h = renderWith(<ReviewScreen request={{ kind: "choices", choices: { addons: [], addonOptions: {}, settings: {} } }} onBack={() => {}} onApply={() => applied++} />, engine);
    const f = await h.waitFor("Install containerd: 3 steps.");
    expect(f).toContain("Write ~/.config/systemd/user/containerd.service — new");
    expect(f).toContain("  the systemd user unit that runs containerd");
    expect(f).toContain("+[Unit]");
    expect(f).toContain("Reload systemd");
    expect(f).toContain("Enter apply");
    fits(f);
    await h.press(KEY.enter);
    expect(applied).toBe(1);
  });

  test("each label starts the row, its why is indented under it; a long label continues under its text", async () => {
    const long = `Run ${"some-long-program --with-an-option=value ".repeat(3).trim()}`;
    const plan = { ...PLAN, items: [PLAN.items[0]!, { kind: "command" as const, label: long, effect: "act" as const, diff: [] }, { kind: "wait" as const, label: "Wait for the containerd API", effect: "act" as const, diff: [] }] };
    const h = renderWith(<ReviewScreen request={{ kind: "choices", choices: { addons: [], addonOptions: {}, settings: {} } }} onBack={() => {}} onApply={() => {}} />, scriptedEngine({ plan }));
    const f = await h.waitFor("Wait for the containerd API");
    const lines = f.split("\n");
    const label = lines.findIndex((l) => l.startsWith("Write ~/"));
    expect(lines[label + 1]).toStartWith("  the systemd user unit");
    const run = lines.findIndex((l) => l.startsWith("Run some-long-program"));
    expect(lines[run + 1]!.search(/\S/)).toBe(2);
    expect(lines.some((l) => l.startsWith("Wait for the containerd API"))).toBe(true);
  });

  test("a plan that changes nothing says so and cannot be applied", async () => {
    let applied = 0;
    let back = 0;
    const h = renderWith(<ReviewScreen request={{ kind: "uninstall", purge: false }} onBack={() => back++} onApply={() => applied++} />, scriptedEngine({ plan: { ...PLAN, unchanged: true } }));
    const f = await h.waitFor("nothing to change");
    expect(f).toContain("Enter back");
    await h.press(KEY.enter);
    expect([applied, back]).toEqual([0, 1]);
  });

  test("a plan the engine refuses shows what is wrong and the fix", async () => {
    const engine = scriptedEngine();
    engine.plan = async () => {
      throw Object.assign(new Error("containerd-fuse-overlayfs-grpc is not installed (not found on PATH)"), { fix: "Download it from containerd/fuse-overlayfs-snapshotter into ~/.local/bin." });
    };
    const h = renderWith(<ReviewScreen request={{ kind: "choices", choices: { addons: ["fuse-overlayfs"], addonOptions: {}, settings: {} } }} onBack={() => {}} onApply={() => {}} />, engine);
    const f = await h.waitFor("not installed");
    expect(f).toContain("Download it from containerd/fuse-overlayfs-snapshotter");
    expect(f).not.toContain("Enter apply");
  });

  test("a diff line wider than the terminal is wrapped, not cut: every character can be read", async () => {
    const long = "+Environment=PATH=/home/alice/.local/bin:/sbin:/usr/sbin:/home/alice/standins:/usr/local/sbin:/usr/local/bin:/END";
    const items = [{ kind: "file" as const, label: "Write ~/.config/systemd/user/containerd.service", effect: "create" as const, diff: ["@@ -0,0 +1 @@", long] }];
    const h = renderWith(<ReviewScreen request={{ kind: "uninstall", purge: false }} onBack={() => {}} onApply={() => {}} />, scriptedEngine({ plan: { ...PLAN, items } }));
    const f = await h.waitFor("+Environment");
    fits(f);
    expect(f).not.toContain("…");
    expect(f.replace(/\n\s*/g, "")).toContain(long);
  });

  test("long plans scroll at 80x24", async () => {
    const items = Array.from({ length: 60 }, (_, i) => ({ kind: "command" as const, label: `step number ${i}`, effect: "act" as const, diff: [] }));
    const h = renderWith(<ReviewScreen request={{ kind: "uninstall", purge: true }} onBack={() => {}} onApply={() => {}} />, scriptedEngine({ plan: { ...PLAN, items } }));
    const f = await h.waitFor("↓ more");
    expect(f).not.toContain("step number 59");
    fits(f);
    await h.press(KEY.pageDown, KEY.pageDown, KEY.pageDown, KEY.pageDown);
    await h.waitFor("step number 59");
  });
});

describe("apply", () => {
  test("live step list with progress, then done", async () => {
    const engine = scriptedEngine({ manualApply: true });
    let done = 0;
    const h = renderWith(<ApplyScreen plan={PLAN} onDone={() => done++} onExit={() => {}} />, engine);
    await h.waitFor(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Write ~\/\.config/);
    expect(h.lastFrame()).toContain("0/3");
    engine.nextStep();
    await h.waitFor("1/3");
    expect(h.lastFrame()).toContain("✓");
    engine.nextStep();
    engine.nextStep();
    await h.waitFor("3/3");
    await h.waitFor(() => done === 1);
  });

  test("q during apply: the current step finishes, what was done is undone, then the app exits (130)", async () => {
    const engine = scriptedEngine({ manualApply: true });
    const h = renderWith(<ApplyScreen plan={PLAN} onDone={() => {}} onExit={() => {}} />, engine);
    await h.waitFor("0/3");
    await h.press("q");
    await h.waitFor("Stopping after the current step");
    expect(h.quits).toEqual([]); // not yet: the step is still running
    expect(engine.lastSignal!.aborted).toBe(true);
    engine.nextStep();
    const f = await h.waitFor("Cancelled.");
    expect(f).toContain("What this run changed was undone");
    expect(f).toContain("↺");
    await h.waitFor(() => h.quits.length === 1);
    expect(h.quits).toEqual([130]);
    // the frame left on the terminal says what happened, not what was about to
    const last = h.lastFrame();
    expect(last).not.toContain("Stopping after the current step");
    expect(last.trimEnd().split("\n").at(-1)).toContain("Cancelled: what this run changed was undone; the machine is as it was before.");
  });

  test("a failure shows the error and what was rolled back; Enter exits 1", async () => {
    const engine = scriptedEngine();
    engine.apply = async (_p, onProgress) => {
      onProgress({ index: 0, state: "done" });
      onProgress({ index: 1, state: "failed" });
      onProgress({ index: 0, state: "undone" });
      return { ok: false, changed: false, rolledBack: true, error: "Reload systemd failed: exit code 1", diagnostics: ["Failed to connect to bus"] };
    };
    let exit: number | null = null;
    const h = renderWith(<ApplyScreen plan={PLAN} onDone={() => {}} onExit={(c) => (exit = c)} />, engine);
    const f = await h.waitFor("Failed: Reload systemd");
    expect(f).toContain("✗ Reload systemd");
    expect(f).toContain("Failed to connect to bus");
    await h.press(KEY.enter);
    expect(exit!).toBe(1);
    exit = null;
    await h.press("q");
    expect(exit!).toBe(1);
    expect(h.quits).toEqual([]);
  });
});

describe("done", () => {
  test("next steps: nerdctl, linger", async () => {
    let exit: number | null = null;
    const h = renderWith(<DoneScreen outcome={{ ok: true, changed: true }} plan={PLAN} onExit={(c) => (exit = c)} />, scriptedEngine());
    const f = await h.waitFor("nerdctl run -it --rm alpine");
    expect(f).toContain("Done: containerd installed and running; nothing else touched.");
    expect(f).toContain("sudo loginctl enable-linger alice");
    await h.press(KEY.enter);
    expect(exit!).toBe(0);
  });

  test("a plan that leaves containerd running is verified: a line per probe, the summary; a fix under what is off", async () => {
    let exit: number | null = null;
    const engine = scriptedEngine();
    const h = renderWith(<DoneScreen outcome={{ ok: true, changed: true }} plan={{ ...PLAN, verify: true }} onExit={(c) => (exit = c)} />, engine);
    const f = await h.waitFor("Containers work: 2 probes");
    expect(f.split("\n").findIndex((l) => l.includes("Containers work: 2 probes"))).toBeLessThan(f.split("\n").findIndex((l) => l.includes("nerdctl run -it --rm alpine"))); // under "Done", before the next steps
    expect(f).toContain("✓ A container starts: a container started from a throwaway image");
    expect(f).toContain("- Limits are enforced: not enforced: cgroup v1 (hybrid layout)");
    expect(f).toContain("Boot with cgroup v2");
    expect(engine.calls).toContain("verify");
    await h.press(KEY.enter);
    expect(exit!).toBe(0);
  });

  test("a probe that should pass and fails: shown with its fix, and the installer exits 1", async () => {
    let exit: number | null = null;
    const failing = { ok: false, lines: [{ id: "network", title: "Its network works", status: "FAIL" as const, message: "the network driver slirp4netns is not running", fix: "systemctl --user restart containerd.service" }], summary: "Containers do NOT fully work: 1 probe in 3.00 s, 1 failed; nothing left behind." };
    const h = renderWith(<DoneScreen outcome={{ ok: true, changed: true }} plan={{ ...PLAN, verify: true }} onExit={(c) => (exit = c)} />, scriptedEngine({ verify: failing }));
    const f = await h.waitFor("Containers do NOT fully work");
    expect(f).toContain("✗ Its network works: the network driver slirp4netns is not running");
    expect(f).toContain("systemctl --user restart containerd.service");
    await h.press(KEY.enter);
    expect(exit!).toBe(1);
  });

  test("an uninstall (or a plan that changed nothing) is not verified", async () => {
    const engine = scriptedEngine();
    const h = renderWith(<DoneScreen outcome={{ ok: true, changed: true }} plan={{ ...PLAN, title: "Uninstall" }} onExit={() => {}} />, engine);
    const f = await h.waitFor("nerdctl run -it --rm alpine");
    expect(f).not.toContain("Verifying");
    expect(engine.calls).not.toContain("verify");
  });
});

describe("status", () => {
  test("shows what is installed and offers add-ons, settings, uninstall", async () => {
    const actions: string[] = [];
    const status = { installed: true, active: true, detail: ["active (running), pid 42"], addons: [{ id: "buildkit", title: "BuildKit", installed: true, active: true }], settings: { mtu: "1500" } };
    const h = renderWith(<StatusScreen status={status} onAction={(a) => actions.push(a)} />, scriptedEngine());
    const f = await h.waitFor("containerd.service  active");
    expect(f).toContain("[x] BuildKit  installed");
    expect(f).toContain("mtu = 1500");
    expect(f).toContain("a add-ons · s settings · u uninstall");
    await h.press("a", "s", "u", "P");
    expect(actions).toEqual(["addons", "settings", "uninstall", "purge"]);
  });

  test("the help line is complete: the body scrolls (↑↓ PgUp PgDn), and it fits 80 columns whole", async () => {
    const addons = Array.from({ length: 30 }, (_, i) => ({ id: `a${i}`, title: `add-on number ${i}`, installed: false }));
    const status = { installed: true, active: true, detail: ["active (running), pid 42"], addons, settings: {} };
    const h = renderWith(<StatusScreen status={status} onAction={() => {}} />, scriptedEngine());
    const f = await h.waitFor("↓ more");
    const help = f.trimEnd().split("\n").at(-1)!;
    expect(help).toBe("a add-ons · s settings · u uninstall · P purge · ↑↓ PgUp PgDn scroll · q quit");
    fits(f);
    await h.press(KEY.down);
    await h.waitFor("rows 2-");
    await h.press(KEY.pageDown, KEY.pageDown);
    await h.waitFor("add-on number 29");
  });
});
