import { test, expect } from "bun:test";
import { Reporter } from "../../src/core/plan/reporter.ts";
import { makeTestHost } from "../helpers/test-host.ts";

const ANSI = /\x1b\[/;

test("[INFO] on stdout, [WARNING] and [ERROR] on stderr; plain lines untagged; repeated lines all shown", async () => {
  const host = await makeTestHost();
  const r = new Reporter(host);
  r.info("Checking cgroup v2");
  r.info("Checking cgroup v2");
  r.warn("cgroup v1");
  r.error("broken");
  r.plain("sudo sh -eux <<'EOF'");
  r.debug("hidden without --verbose");
  expect(host.out).toBe("[INFO] Checking cgroup v2\n[INFO] Checking cgroup v2\nsudo sh -eux <<'EOF'\n");
  expect(host.err).toBe("[WARNING] cgroup v1\n[ERROR] broken\n");
  await host.cleanup();
});

test("colour only on a terminal, never with NO_COLOR", async () => {
  const tty = await makeTestHost({ outputIsTTY: true });
  new Reporter(tty).warn("x");
  expect(tty.err).toMatch(ANSI);
  const noColor = await makeTestHost({ outputIsTTY: true, env: { NO_COLOR: "1" } });
  new Reporter(noColor).warn("x");
  expect(noColor.err).toBe("[WARNING] x\n");
  const pipe = await makeTestHost();
  new Reporter(pipe).info("x");
  expect(pipe.out).not.toMatch(ANSI);
  for (const h of [tty, noColor, pipe]) await h.cleanup();
});

test("--json: stdout holds only the JSON document; warnings still reach stderr", async () => {
  const host = await makeTestHost();
  const r = new Reporter(host, { json: true });
  r.info("Creating x");
  r.plain("a plan");
  r.warn("careful");
  r.result({ changed: false });
  expect(JSON.parse(host.out)).toEqual({ changed: false });
  expect(host.err).toBe("[WARNING] careful\n");
  await host.cleanup();
});

test("--verbose shows debug lines on stderr", async () => {
  const host = await makeTestHost();
  new Reporter(host, { verbose: true }).debug("probe took 3 ms");
  expect(host.err).toBe("[DEBUG] probe took 3 ms\n");
  await host.cleanup();
});
