// Every step kind gets its label in one place (src/core/plan/label.ts): action + object, paths
// under home with ~, an optional note in parentheses; the why is never the label.
import { describe, expect, test } from "bun:test";
import { stepDetail, stepLabel, tildePath } from "../../src/core/plan/label.ts";
import { settingChangesNote } from "../../src/core/rootlesskit/changes.ts";
import { changeParts, summaryLine } from "../../src/core/lifecycle/summary.ts";
import type { StepPreview } from "../../src/core/plan/render.ts";
import type { Step } from "../../src/core/plan/steps.ts";

const HOME = "/home/alice";

describe("step labels", () => {
  test("each kind: an imperative naming the action and its object", () => {
    const cases: [Step, string][] = [
      [{ kind: "write", path: `${HOME}/.config/systemd/user/containerd.service.d/override.conf`, content: "", note: "MTU 1500", why: "RootlessKit reads it" }, "Write ~/.config/systemd/user/containerd.service.d/override.conf (MTU 1500)"],
      [{ kind: "copy", from: "/tmp/dl/crs", path: `${HOME}/.local/bin/containerd-rootless-systemd`, what: "the binary" }, "Copy the binary to ~/.local/bin/containerd-rootless-systemd"],
      [{ kind: "copy", from: `${HOME}/a`, path: `${HOME}/b` }, "Copy ~/a to ~/b"],
      [{ kind: "systemctl", args: ["daemon-reload"] }, "Reload systemd"],
      [{ kind: "systemctl", args: ["start", "containerd.service"] }, "Start containerd.service"],
      [{ kind: "systemctl", args: ["enable", "containerd.service"] }, "Enable containerd.service"],
      [{ kind: "systemctl", args: ["enable", "--now", "buildkit.service"] }, "Enable and start buildkit.service"],
      [{ kind: "systemctl", args: ["disable", "--no-reload", "--now", "containerd.service"] }, "Stop and disable containerd.service"],
      [{ kind: "systemctl", args: ["reset-failed", "containerd.service"] }, "Clear the failed state of containerd.service"],
      [{ kind: "systemctl", args: ["kill", "x.service"] }, "Run systemctl --user kill x.service"],
      [{ kind: "wait", what: "the containerd API", timeoutMs: 1000, ready: async () => true }, "Wait for the containerd API"],
      [{ kind: "remove", path: `${HOME}/.local/share/x`, recursive: true }, "Remove ~/.local/share/x and everything in it"],
      [{ kind: "mkdir", path: "/run/user/1000/x" }, "Create the directory /run/user/1000/x"],
      [{ kind: "link", path: `${HOME}/.config/systemd/user/default.target.wants/containerd.service`, target: `${HOME}/.config/systemd/user/containerd.service`, enables: "containerd.service" }, "Enable containerd.service"],
      [{ kind: "link", path: `${HOME}/a`, target: "/b" }, "Link ~/a to /b"],
      [{ kind: "remove", path: `${HOME}/.config/systemd/user/default.target.wants/containerd.service`, disables: "containerd.service" }, "Disable containerd.service"],
      [{ kind: "run", argv: [`${HOME}/bin/tool`, "a b"] }, "Run ~/bin/tool 'a b'"],
    ];
    for (const [step, label] of cases) expect(stepLabel(step, HOME)).toBe(label);
    expect(stepDetail(cases[0]![0])).toBe("RootlessKit reads it");
  });

  test("~ only for a whole leading component of the home directory", () => {
    expect(tildePath("/home/alice", HOME)).toBe("~");
    expect(tildePath("/home/alice2/x", HOME)).toBe("/home/alice2/x");
    expect(tildePath("/home/alice/x", undefined)).toBe("/home/alice/x");
  });

  test("a settings note names what a drop-in change sets and drops", () => {
    const before = '[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_NET="slirp4netns"\n';
    const after = '[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n';
    expect(settingChangesNote(null, after)).toBe("MTU 1500");
    expect(settingChangesNote(before, after)).toBe("MTU 1500, net default");
    expect(settingChangesNote(after, after)).toBeUndefined();
  });
});

describe("the summary line", () => {
  const unit = `${HOME}/.config/systemd/user/containerd.service`;
  const preview = (p: Partial<StepPreview>): StepPreview => ({ kind: "write", label: "", effect: "act", target: "", willChange: true, ...p });
  test("a fresh install with one setting", () => {
    const steps: Step[] = [
      { kind: "write", path: `${unit}.d/override.conf`, content: "" },
      { kind: "write", path: unit, content: "" },
      { kind: "systemctl", args: ["start", "containerd.service"] },
    ];
    const previews = [
      preview({ target: `${unit}.d/override.conf`, effect: "create", diff: '+[Service]\n+Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"' }),
      preview({ target: unit, effect: "create" }),
      preview({ kind: "systemctl", target: "systemctl --user start containerd.service" }),
    ];
    expect(summaryLine(changeParts({ steps, previews }))).toBe("containerd installed and running; 1 setting changed; nothing else touched");
  });
  test("nothing changed", () => {
    expect(summaryLine(changeParts({ steps: [{ kind: "write", path: unit, content: "" }], previews: [preview({ target: unit, effect: "unchanged", willChange: false })] }))).toBe("nothing changed; the machine was already like this");
  });
});
