// Cancelling an apply through its AbortSignal: honoured between steps only, and it rolls
// back what the run changed exactly like a failed step, raising a cancelled ApplyError.
import { afterEach, describe, expect, test } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { applyPlan, ApplyError, CANCELLED_REASON, type ApplyEvent } from "../../src/core/plan/execute.ts";
import type { Step } from "../../src/core/plan/steps.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const systemctlLog = (h: TestHost) => h.calls.filter((c) => c[0] === "systemctl").map((c) => c.slice(2).join(" "));

describe("apply with a signal", () => {
  test("aborted after step 2 of 4: steps 3-4 never run, steps 1-2 are rolled back, the error says cancelled", async () => {
    host = await makeTestHost({ files: { "/home/alice/old.conf": "old\n" }, commands: { systemctl: () => ok() } });
    const steps: Step[] = [
      { kind: "write", path: "/home/alice/old.conf", content: "new\n" },
      { kind: "systemctl", args: ["start", "x.service"], undo: ["stop", "x.service"] },
      { kind: "systemctl", args: ["start", "y.service"], undo: ["stop", "y.service"] },
      { kind: "write", path: "/home/alice/never.conf", content: "no\n" },
    ];
    const cancel = new AbortController();
    const events: string[] = [];
    const onEvent = (e: ApplyEvent) => {
      events.push(e.type === "rollback" ? `rollback ${e.description}` : `${e.type} ${e.index}`);
      if (e.type === "done" && e.index === 1) cancel.abort();
    };
    let diagnosedFor: string | undefined;
    const err = (await applyPlan(host, steps, { signal: cancel.signal, onEvent, beforeRollback: async (f) => void (diagnosedFor = f.reason) }).catch((e) => e)) as ApplyError;
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.failure.cancelled).toBe(true);
    expect(err.failure.reason).toBe(CANCELLED_REASON);
    expect(err.failure.index).toBe(2);
    expect(err.message).toMatch(/^Cancelled before: Start y\.service$/);
    expect(diagnosedFor).toBe(CANCELLED_REASON); // the same path as a failure: diagnostics, then rollback
    // steps 3 and 4 never started
    expect(events.filter((e) => e.startsWith("start"))).toEqual(["start 0", "start 1"]);
    expect(systemctlLog(host)).toEqual(["reset-failed x.service", "start x.service", "stop x.service", "reset-failed x.service"]);
    expect(await host.exists("/home/alice/never.conf")).toBe(false);
    // steps 1 and 2 undone, services first, then files
    expect(await host.readText("/home/alice/old.conf")).toBe("old\n");
    expect(err.rolledBack).toEqual(["systemctl --user stop x.service", "restore /home/alice/old.conf"]);
    expect(err.outcomes.map((o) => o.target)).toEqual(["/home/alice/old.conf", "systemctl --user start x.service"]);
  });

  test("an abort during a step lets that step finish; the next one does not start", async () => {
    const cancel = new AbortController();
    let finished = false;
    host = await makeTestHost({
      commands: {
        systemctl: async (argv) => {
          if (argv[2] === "start") {
            cancel.abort(); // Ctrl+C while systemd starts the unit
            await Bun.sleep(5);
            finished = true;
          }
          return ok();
        },
      },
    });
    const steps: Step[] = [
      { kind: "systemctl", args: ["start", "x.service"], undo: ["stop", "x.service"] },
      { kind: "write", path: "/home/alice/a.conf", content: "a\n" },
    ];
    const err = (await applyPlan(host, steps, { signal: cancel.signal }).catch((e) => e)) as ApplyError;
    expect(finished).toBe(true); // the start went on to its end despite the abort
    expect(err.failure).toMatchObject({ cancelled: true, index: 1 });
    expect(err.outcomes).toHaveLength(1);
    expect(err.rolledBack).toEqual(["systemctl --user stop x.service"]);
    expect(await host.exists("/home/alice/a.conf")).toBe(false);
  });

  test("an abort during a wait cuts the wait short (it changes nothing) and rolls back", async () => {
    host = await makeTestHost({ commands: { systemctl: () => ok() } });
    const cancel = new AbortController();
    let polls = 0;
    const steps: Step[] = [
      { kind: "systemctl", args: ["start", "x.service"], undo: ["stop", "x.service"] },
      { kind: "wait", what: "the thing", timeoutMs: 60_000, everyMs: 1, ready: async () => (++polls === 2 && cancel.abort(), false) },
      { kind: "systemctl", args: ["enable", "x.service"] },
    ];
    const started = performance.now();
    const err = (await applyPlan(host, steps, { signal: cancel.signal }).catch((e) => e)) as ApplyError;
    expect(performance.now() - started).toBeLessThan(5000); // not the 60 s timeout
    expect(polls).toBe(2);
    expect(err.failure).toMatchObject({ cancelled: true, index: 1, reason: CANCELLED_REASON });
    expect(systemctlLog(host)).toEqual(["reset-failed x.service", "start x.service", "stop x.service", "reset-failed x.service"]);
  });

  test("aborted before the start: nothing runs; never aborted: the plan runs as without a signal", async () => {
    host = await makeTestHost();
    const steps: Step[] = [{ kind: "write", path: "/home/alice/a.conf", content: "a\n" }];
    const err = (await applyPlan(host, steps, { signal: AbortSignal.abort() }).catch((e) => e)) as ApplyError;
    expect(err.failure).toMatchObject({ cancelled: true, index: 0 });
    expect(err.rolledBack).toEqual([]);
    expect(await host.exists("/home/alice/a.conf")).toBe(false);
    const r = await applyPlan(host, steps, { signal: new AbortController().signal });
    expect(r.changed).toBe(true);
    expect(await host.readText("/home/alice/a.conf")).toBe("a\n");
  });
});

describe("a signal at the end, and the order of undos that bring a unit back", () => {
  test("aborted during the LAST step: the run does not complete, the last step is rolled back too", async () => {
    const cancel = new AbortController();
    host = await makeTestHost({ commands: { systemctl: (argv) => (argv[2] === "enable" && cancel.abort(), ok()) } });
    const steps: Step[] = [
      { kind: "write", path: "/home/alice/a.conf", content: "a\n" },
      { kind: "systemctl", args: ["enable", "x.service"], undo: ["disable", "x.service"] },
    ];
    const err = (await applyPlan(host, steps, { signal: cancel.signal }).catch((e) => e)) as ApplyError;
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.failure).toMatchObject({ cancelled: true, afterLast: true, index: 1, reason: CANCELLED_REASON });
    expect(err.message).toBe("Cancelled after: Enable x.service");
    expect(err.outcomes).toHaveLength(2);
    expect(err.rolledBack.slice(0, 2)).toEqual(["systemctl --user disable x.service", "remove /home/alice/a.conf"]);
    expect(await host.exists("/home/alice/a.conf")).toBe(false);
  });

  test("an interrupted uninstall: `enable --now` runs after the unit file is back and systemd reloaded, then waits until it answers", async () => {
    const unit = "/home/alice/.config/systemd/user/x.service";
    const cancel = new AbortController();
    let loaded = true; // what systemd knows: the unit as of its last daemon-reload
    let up = true;
    host = await makeTestHost({
      files: { [unit]: "[Service]\n" },
      commands: {
        systemctl: async (argv) => {
          const verb = argv[2];
          if (verb === "daemon-reload") loaded = await host.exists(unit);
          if (verb === "disable") up = false;
          if (verb === "enable") {
            if (!loaded || !(await host.exists(unit))) return { code: 1, stdout: "", stderr: "Unit file x.service does not exist." };
            up = true;
          }
          return ok();
        },
      },
    });
    let polls = 0;
    const steps: Step[] = [
      { kind: "systemctl", args: ["disable", "--no-reload", "--now", "x.service"], undo: ["enable", "--now", "x.service"], undoWait: { kind: "wait", what: "x", timeoutMs: 10_000, everyMs: 1, ready: async () => (++polls, up && polls >= 2) } },
      { kind: "remove", path: unit },
      { kind: "systemctl", args: ["daemon-reload"] },
      { kind: "write", path: "/home/alice/never", content: "" },
    ];
    const onEvent = (e: ApplyEvent) => void (e.type === "done" && e.index === 2 && cancel.abort());
    const err = (await applyPlan(host, steps, { signal: cancel.signal, onEvent }).catch((e) => e)) as ApplyError;
    expect(err.failure).toMatchObject({ cancelled: true, index: 3 });
    expect(err.rolledBack).toEqual([`restore ${unit}`, "systemctl --user daemon-reload", "systemctl --user enable --now x.service (until x answers)"]);
    expect(systemctlLog(host)).toEqual(["disable --no-reload --now x.service", "daemon-reload", "daemon-reload", "reset-failed x.service", "enable --now x.service"]);
    expect(up).toBe(true);
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(await host.readText(unit)).toBe("[Service]\n");
  });

  test("an undo that fails is reported as failed, not as undone", async () => {
    const cancel = new AbortController();
    host = await makeTestHost({ commands: { systemctl: (argv) => (argv[2] === "start" ? { code: 1, stdout: "", stderr: "Job failed." } : (cancel.abort(), ok())) } });
    const steps: Step[] = [{ kind: "systemctl", args: ["stop", "x.service"], undo: ["start", "x.service"] }, { kind: "mkdir", path: "/home/alice/d" }];
    const err = (await applyPlan(host, steps, { signal: cancel.signal }).catch((e) => e)) as ApplyError;
    expect(err.rolledBack).toEqual(["systemctl --user start x.service (failed: systemctl --user start x.service: exit code 1: Job failed.)"]);
  });
});
