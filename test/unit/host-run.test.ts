// The real Host's process runner (not the scripted TestHost).
import { test, expect } from "bun:test";
import { readFileSync } from "node:fs";
import { Host } from "../../src/core/os/host.ts";

/** Field 6 of /proc/PID/stat: the session id. */
const sessionOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);

test("a child runs in a session of its own, so Ctrl+C on the terminal reaches only us", async () => {
  const host = new Host();
  const r = await host.run(["sh", "-c", "cat /proc/$$/stat"]);
  expect(r.code).toBe(0);
  const child = sessionOf(r.stdout);
  expect(child).not.toBe(sessionOf(readFileSync("/proc/self/stat", "utf8")));
});

test("output, exit code, a missing program (127) and a timeout (124)", async () => {
  const host = new Host();
  expect(await host.run(["sh", "-c", "echo out; echo err >&2; exit 3"])).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
  expect((await host.run(["/nonexistent/program"])).code).toBe(127);
  const slow = await host.run(["sleep", "5"], { timeoutMs: 100 });
  expect(slow.code).toBe(124);
  expect(slow.stderr).toContain("timed out after 100 ms");
});

test("CRS_WAIT_FACTOR stretches a program's time limit too (a slow machine's `containerd --version`)", async () => {
  const slow = await new Host({ env: { ...process.env, CRS_WAIT_FACTOR: "20" } }).run(["sleep", "0.3"], { timeoutMs: 100 });
  expect(slow.code).toBe(0);
});
