// pollUntil (os/wait.ts): the early-failure question (for containerd's start, a systemctl) is asked
// only once the condition has not held for `failedEveryMs`; then at that pace, and its reason ends the wait.
import { afterEach, expect, test } from "bun:test";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { pollUntil, waitFactor } from "../../src/core/os/wait.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

test("a condition that holds within failedEveryMs never asks whether the wait failed", async () => {
  host = await makeTestHost({});
  const start = host.now();
  let asked = 0;
  const r = await pollUntil(host, async () => host.now() - start > 60, { timeoutMs: 5000, everyMs: 10, failedEveryMs: 200, failed: async () => (asked++, undefined) });
  expect(r.ok).toBe(true);
  expect(asked).toBe(0);
});

test("one that does not: asked after failedEveryMs, and its reason ends the wait", async () => {
  host = await makeTestHost({});
  const start = host.now();
  let firstAskedAt = -1;
  const r = await pollUntil(host, async () => false, { timeoutMs: 5000, everyMs: 10, failedEveryMs: 100, failed: async () => ((firstAskedAt = host.now() - start), "the unit failed") });
  expect(r).toMatchObject({ ok: false, reason: "the unit failed" });
  expect(firstAskedAt).toBeGreaterThanOrEqual(100);
  expect(firstAskedAt).toBeLessThan(1000);
});

test("CRS_WAIT_FACTOR=N makes a wait N times longer (slow machines: emulators, small boards); anything else is 1", async () => {
  host = await makeTestHost({ env: { CRS_WAIT_FACTOR: "3" } });
  const start = host.now();
  const r = await pollUntil(host, async () => host.now() - start > 150, { timeoutMs: 100, everyMs: 10 });
  expect(r.ok).toBe(true);
  const late = await pollUntil(host, async () => false, { timeoutMs: 50, everyMs: 10 });
  expect(late).toMatchObject({ ok: false, reason: "timed out after 0 s" });
  expect(late.ms).toBeGreaterThanOrEqual(150);
  for (const v of ["0.5", "x", ""]) expect(waitFactor({ env: { CRS_WAIT_FACTOR: v } } as never)).toBe(1);
});
