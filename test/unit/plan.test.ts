import { afterEach, describe, expect, test } from "bun:test";
import { symlink, stat, utimes, writeFile } from "node:fs/promises";
import { makeTestHost, ok, failed, type TestHost } from "../helpers/test-host.ts";
import { applyPlan, ApplyError } from "../../src/core/plan/execute.ts";
import { previewPlan, renderPlan, unifiedDiff } from "../../src/core/plan/render.ts";
import type { Step } from "../../src/core/plan/steps.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const systemctlLog = (h: TestHost) => h.calls.filter((c) => c[0] === "systemctl").map((c) => c.slice(2).join(" "));

describe("apply", () => {
  test("a write creates the file 0644; the same write again is unchanged", async () => {
    host = await makeTestHost();
    const steps: Step[] = [{ kind: "write", path: "/home/alice/.config/x.conf", content: "a=1\n" }];
    const first = await applyPlan(host, steps);
    expect(first.changed).toBe(true);
    expect(first.steps[0]!.changed).toBe(true);
    expect(await host.readText("/home/alice/.config/x.conf")).toBe("a=1\n");
    expect((await stat(host.path("/home/alice/.config/x.conf"))).mode & 0o777).toBe(0o644);
    const second = await applyPlan(host, steps);
    expect(second.changed).toBe(false);
    expect(second.steps[0]!.description).toBe("Write ~/.config/x.conf");
    expect(second.steps[0]!.result).toContain("unchanged");
  });

  test("a write with backupTo keeps the old content in a private (0700) directory", async () => {
    host = await makeTestHost({ files: { "/home/alice/.config/containerd/config.toml": "# mine\n" } });
    await applyPlan(host, [{ kind: "write", path: "/home/alice/.config/containerd/config.toml", content: "# mine\nimports = []\n", backupTo: "/home/alice/.local/share/crs/backups/config.toml.1" }]);
    expect(await host.readText("/home/alice/.local/share/crs/backups/config.toml.1")).toBe("# mine\n");
    expect((await stat(host.path("/home/alice/.local/share/crs/backups"))).mode & 0o777).toBe(0o700);
  });

  test("a file that is replaced keeps its mode (0600 stays 0600); the same content is unchanged; no temporary file is left", async () => {
    host = await makeTestHost({ files: { "/etc/f": { content: "x", mode: 0o600 } } });
    const same = await applyPlan(host, [{ kind: "write", path: "/etc/f", content: "x", mode: 0o644 }]);
    expect(same.changed).toBe(false);
    const r = await applyPlan(host, [{ kind: "write", path: "/etc/f", content: "y", mode: 0o644 }]);
    expect(r.changed).toBe(true);
    expect(await host.readText("/etc/f")).toBe("y");
    expect((await stat(host.path("/etc/f"))).mode & 0o777).toBe(0o600);
    expect(await host.readdir("/etc")).toEqual(["f"]);
  });

  test("a symlink planted where a file goes is refused, and nothing is changed", async () => {
    host = await makeTestHost({ files: { "/home/alice/secret": "keep" } });
    await host.mkdirp("/home/alice/.config/systemd/user");
    await symlink(host.path("/home/alice/secret"), host.path("/home/alice/.config/systemd/user/containerd.service"));
    const err = await applyPlan(host, [{ kind: "write", path: "/home/alice/.config/systemd/user/containerd.service", content: "evil" }]).catch((e) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.message).toContain("symbolic link");
    expect(await host.readText("/home/alice/secret")).toBe("keep");
  });

  test("a failure rolls back what this run changed: commands undone, files restored, one daemon-reload, created dirs removed", async () => {
    host = await makeTestHost({ files: { "/home/alice/old.conf": "old\n" }, commands: { systemctl: () => ok(), false: () => failed("boom") } });
    let diagnosed = "";
    const steps: Step[] = [
      { kind: "write", path: "/home/alice/new/dir/a.conf", content: "new\n" },
      { kind: "write", path: "/home/alice/old.conf", content: "changed\n" },
      { kind: "systemctl", args: ["daemon-reload"] },
      { kind: "systemctl", args: ["start", "x.service"], undo: ["stop", "x.service"] },
      { kind: "run", argv: ["false"] },
      { kind: "write", path: "/home/alice/never.conf", content: "no\n" },
    ];
    const err = (await applyPlan(host, steps, { beforeRollback: async (f) => (diagnosed = `diag for ${f.description}`) }).catch((e) => e)) as ApplyError;
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.failure.index).toBe(4);
    expect(err.failure.output).toContain("boom");
    expect(err.diagnostics).toBe(diagnosed);
    expect(await host.exists("/home/alice/new")).toBe(false);
    expect(await host.readText("/home/alice/old.conf")).toBe("old\n");
    expect(await host.exists("/home/alice/never.conf")).toBe(false);
    expect(systemctlLog(host)).toEqual(["daemon-reload", "reset-failed x.service", "start x.service", "stop x.service", "reset-failed x.service", "daemon-reload"]); // a unit stopped mid-start is failed: the undo clears it
  });

  test("late undos run after files are restored and systemd reloaded (restart of the previous unit)", async () => {
    host = await makeTestHost({ files: { "/u/x.service": "v1\n" }, commands: { systemctl: () => ok() } });
    const err = await applyPlan(host, [
      { kind: "write", path: "/u/x.service", content: "v2\n" },
      { kind: "systemctl", args: ["daemon-reload"] },
      { kind: "systemctl", args: ["restart", "x.service"], undo: ["restart", "x.service"], undoLate: true },
      { kind: "wait", what: "x", timeoutMs: 1000, ready: async () => false, failed: async () => "x.service failed" },
    ]).catch((e) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.failure.reason).toBe("x.service failed");
    expect(await host.readText("/u/x.service")).toBe("v1\n");
    // each deliberate restart first clears the start rate limit (StartLimitBurst is for crash loops)
    expect(systemctlLog(host)).toEqual(["daemon-reload", "reset-failed x.service", "restart x.service", "daemon-reload", "reset-failed x.service", "restart x.service"]);
  });

  test("a wait polls until ready and changes nothing; a wait past its deadline fails", async () => {
    host = await makeTestHost();
    let n = 0;
    const r = await applyPlan(host, [{ kind: "wait", what: "the thing", timeoutMs: 5000, everyMs: 1, ready: async () => ++n >= 3 }]);
    expect(n).toBe(3);
    expect(r.changed).toBe(false);
    const err = await applyPlan(host, [{ kind: "wait", what: "the thing", timeoutMs: 50, everyMs: 5, ready: async () => false }]).catch((e) => e);
    expect(err.failure.reason).toContain("timed out");
  });

  test("a copy keeps the source's mtime, so the same copy again is unchanged; a rollback restores the old file", async () => {
    host = await makeTestHost({ files: { "/dl/bin": "v2-binary", "/home/alice/.local/bin/tool": "v1-binary" }, commands: { false: () => failed() } });
    await utimes(host.path("/home/alice/.local/bin/tool"), new Date(), new Date(Date.now() - 60_000)); // an older build
    const copy: Step = { kind: "copy", from: "/dl/bin", path: "/home/alice/.local/bin/tool" };
    const err = await applyPlan(host, [copy, { kind: "run", argv: ["false"] }]).catch((e) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect(await host.readText("/home/alice/.local/bin/tool")).toBe("v1-binary");
    expect((await host.readdir("/home/alice/.local/bin"))!.sort()).toEqual(["tool"]);
    const r1 = await applyPlan(host, [copy]);
    expect(r1.changed).toBe(true);
    expect((await stat(host.path("/home/alice/.local/bin/tool"))).mode & 0o777).toBe(0o755);
    expect((await applyPlan(host, [copy])).changed).toBe(false);
    // a new download of the same size but another build (mtime) is copied again
    await writeFile(host.path("/dl/bin"), "v3-binary");
    await utimes(host.path("/dl/bin"), new Date(), new Date(Date.now() + 5000));
    expect((await applyPlan(host, [copy])).changed).toBe(true);
    expect(await host.readText("/home/alice/.local/bin/tool")).toBe("v3-binary");
  });

  test("a removal is restored on rollback; removing an absent file is unchanged", async () => {
    host = await makeTestHost({ files: { "/u/a.service": "A" }, commands: { false: () => failed() } });
    const err = await applyPlan(host, [{ kind: "remove", path: "/u/a.service" }, { kind: "run", argv: ["false"] }]).catch((e) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect(await host.readText("/u/a.service")).toBe("A");
    expect((await applyPlan(host, [{ kind: "remove", path: "/u/b.service" }])).changed).toBe(false);
    const r = await applyPlan(host, [{ kind: "remove", path: "/u/a.service" }]);
    expect(r.changed).toBe(true);
    expect(await host.readdir("/u")).toEqual([]);
  });

  test("remove-tree-in-namespace runs its command and checks the tree is gone", async () => {
    host = await makeTestHost({ dirs: ["/home/alice/.local/share/containerd/x"], commands: { rootlesskit: () => ok() } });
    const step: Step = { kind: "remove-tree-in-namespace", path: "/home/alice/.local/share/containerd", argv: ["rootlesskit", "rm", "-rf", "/home/alice/.local/share/containerd"] };
    const err = await applyPlan(host, [step]).catch((e) => e);
    expect(err.failure.reason).toContain("still there");
    host.commands.rootlesskit = async (argv) => {
      await host.remove(argv[3]!, { recursive: true });
      return ok();
    };
    expect((await applyPlan(host, [step])).changed).toBe(true);
    expect((await applyPlan(host, [step])).changed).toBe(false);
  });
});

describe("render", () => {
  test("numbered steps, unchanged marks, and a unified diff for a changed file", async () => {
    host = await makeTestHost({ files: { "/u/x.service": "[Service]\nRestartSec=5\n", "/u/same": "s" } });
    const text = await renderPlan(host, [
      { kind: "write", path: "/u/x.service", content: "[Service]\nRestartSec=2\n" },
      { kind: "write", path: "/u/same", content: "s" },
      { kind: "write", path: "/u/new", content: "n\n" },
      { kind: "systemctl", args: ["restart", "x.service"] },
    ]);
    expect(text).toContain(" 1. Write /u/x.service — changed");
    expect(text).toContain("-RestartSec=5");
    expect(text).toContain("+RestartSec=2");
    expect(text).toContain(" 2. Write /u/same — unchanged");
    expect(text).toContain(" 3. Write /u/new — new");
    expect(text).toContain(" 4. Restart x.service");
    // rendering touched nothing
    expect(await host.readText("/u/x.service")).toBe("[Service]\nRestartSec=5\n");
    expect(await host.exists("/u/new")).toBe(false);
  });

  test("previews say whether each step would change anything", async () => {
    host = await makeTestHost({ files: { "/a": "same" } });
    const p = await previewPlan(host, [{ kind: "write", path: "/a", content: "same" }, { kind: "remove", path: "/gone" }]);
    expect(p.map((x) => x.willChange)).toEqual([false, false]);
  });

  test("unifiedDiff of a new file is against /dev/null", () => {
    const d = unifiedDiff("/x", null, "a\n");
    expect(d).toContain("--- /dev/null");
    expect(d).toContain("+a");
    expect(unifiedDiff("/x", "a", "a")).toBe("");
  });
});
