// Ctrl+C during `install --yes` on the compiled binary, as the sandbox user against the real
// systemd --user: sent once the output says "Start containerd.service", the run lets that
// start finish, undoes what it did (unit stopped and removed, binary copy removed), releases
// its lock and exits 130; the next `install --yes` then succeeds.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { waitFor } from "../../scripts/sandbox.ts";
import { useSandbox } from "../helpers/e2e.ts";

const e2e = useSandbox("crsf2-sig", { cliTimeoutMs: 180_000 });

/** Starts the binary as the user in the background; its output accumulates as it comes. */
function start(args: string[], extra: Record<string, string> = {}) {
  const env = Object.entries({ ...e2e.sb.baseEnv(), ...extra }).map(([k, v]) => `${k}=${v}`);
  const proc = Bun.spawn(["runuser", "-u", e2e.sb.user, "--", "env", "-i", ...env, e2e.bin, ...args], { cwd: e2e.sb.home, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const out = { stdout: "", stderr: "" };
  const collect = async (s: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    const dec = new TextDecoder();
    for await (const chunk of s) out[key] += dec.decode(chunk, { stream: true });
  };
  const done = Promise.all([collect(proc.stdout, "stdout"), collect(proc.stderr, "stderr")]).then(() => proc.exited);
  return { proc, out, done };
}

/** The binary's own pid: runuser's child (env execs into it). */
function binaryPid(runuserPid: number): number {
  const children = readFileSync(`/proc/${runuserPid}/task/${runuserPid}/children`, "utf8").trim().split(/\s+/).map(Number);
  expect(children).toHaveLength(1);
  return children[0]!;
}

/** runuser's child, stopped (SIGSTOP: /proc/PID/stat's state is T), or 0 while there is none. */
function stoppedChild(runuserPid: number): number {
  try {
    const [child] = readFileSync(`/proc/${runuserPid}/task/${runuserPid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    return child && /^\d+ \(.*\) T /.test(readFileSync(`/proc/${child}/stat`, "utf8")) ? child : 0;
  } catch {
    return 0;
  }
}

/** Nobody holds the run lock (flock(1) can take it at once). */
const lockIsFree = (lock: string) => Bun.spawnSync(["flock", "-n", lock, "true"]).exitCode === 0;

describe("a signal during install", () => {
  test("SIGINT after 'Start containerd.service': the start finishes, everything is undone, no lock, exit 130; install again works", async () => {
    const unit = `${e2e.sb.home}/.config/systemd/user/containerd.service`;
    const copy = `${e2e.sb.home}/.local/bin/containerd-rootless-systemd`;
    const lock = `${e2e.sb.runtimeDir}/containerd-rootless-systemd.lock`;
    const run = start(["install", "--yes"]);
    await waitFor("'Start containerd.service' in the output", () => run.out.stdout.includes("[INFO] Start containerd.service"), 120_000);
    expect(lockIsFree(lock)).toBe(false); // mid-plan, holding the lock
    process.kill(binaryPid(run.proc.pid), "SIGINT");
    const code = await run.done;
    expect(code).toBe(130);
    expect(run.out.stderr.split("\n").filter((l) => l.includes("Interrupted"))).toEqual(["[WARNING] Interrupted: finishing the current step, then undoing what this run changed"]);
    expect(run.out.stderr).toContain("[WARNING] Undoing: systemctl --user stop containerd.service");
    expect(run.out.stderr).toContain(`[ERROR] interrupted; undone: `);
    // enabled (its link written) after the start, while containerd starts: undone with the rest when the signal came once that step began
    const link = `[WARNING] Undoing: remove ${e2e.sb.home}/.config/systemd/user/default.target.wants/containerd.service`;
    if (run.out.stdout.includes("[INFO] Enable containerd.service")) expect(run.out.stderr).toContain(link);
    else expect(run.out.stderr).not.toContain(link);
    expect(run.out.stdout).not.toContain("Installed containerd.service");
    expect(existsSync(unit)).toBe(false);
    expect(existsSync(copy)).toBe(false);
    expect(lockIsFree(lock)).toBe(true); // released
    expect(e2e.show("containerd.service", "ActiveState")).toBe("inactive");
    expect(e2e.show("containerd.service", "UnitFileState")).not.toBe("enabled");

    const again = e2e.cli("install", "--yes");
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).toContain("Installed containerd.service successfully.");
    expect(e2e.show("containerd.service", "ActiveState")).toBe("active");
    expect(e2e.show("containerd.service", "UnitFileState")).toBe("enabled");
  }, 300_000);

});

describe("a signal during uninstall", () => {
  test("SIGTERM once the files are gone and the stop is queued: the files are restored, containerd started, enabled and answering again, exit 130", async () => {
    const unit = `${e2e.sb.home}/.config/systemd/user/containerd.service`;
    if (e2e.show("containerd.service", "ActiveState") !== "active") expect(e2e.cli("install", "--yes").code).toBe(0);
    // frozen right after its 6th step (the queued stop, the unit file, its enabling link, the two completions,
    // the binary's copy), so the signal comes at that boundary however busy the machine is
    const run = start(["uninstall", "--yes"], { CRS_TEST_PAUSE_AFTER_STEP: "6" });
    await waitFor("uninstall paused after its 6th step", () => stoppedChild(run.proc.pid) > 0, 120_000, 20);
    const pid = binaryPid(run.proc.pid);
    expect(run.out.stdout).toContain("Disable containerd.service");
    expect(run.out.stdout).toContain("Stop containerd.service");
    expect(existsSync(unit)).toBe(false);
    process.kill(pid, "SIGTERM");
    process.kill(pid, "SIGCONT");
    process.kill(run.proc.pid, "SIGCONT"); // runuser stops itself when its child stops (job control, as su does)
    const code = await run.done;
    const all = `${run.out.stdout}\n${run.out.stderr}`;
    expect(code, all).toBe(130);
    expect(run.out.stdout).not.toContain("Uninstalled");
    // the undo that brings containerd back runs last, after the files are back
    const undos = run.out.stderr.split("\n").filter((l) => l.startsWith("[WARNING] Undoing: "));
    expect(undos.at(-1), all).toBe("[WARNING] Undoing: systemctl --user start containerd.service (until the containerd API answers)");
    expect(run.out.stderr).not.toContain("failed:");
    expect(existsSync(unit)).toBe(true);
    expect(e2e.show("containerd.service", "ActiveState")).toBe("active");
    expect(e2e.show("containerd.service", "UnitFileState")).toBe("enabled");
    // answering, not only running: status asks the API
    const st = e2e.cliJson("status", "--json");
    expect(st.doc.containerd?.answering, st.stdout).toBe(true);
  }, 300_000);
});
