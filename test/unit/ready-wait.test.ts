// The readiness wait after a start gives up as soon as the user manager is gone (install then
// says the manager stopped), instead of polling a socket that cannot come until its deadline.
import { afterEach, expect, test } from "bun:test";
import { failed, makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { containerdReadyStep } from "../../src/core/containerd/ready.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { managerGone } from "../../src/core/systemd/units.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

test("the user manager gone during the wait is its failure, worded so that install recognises it", async () => {
  host = await makeTestHost({ commands: { systemctl: () => failed("Failed to connect to bus: Connection refused") } });
  const step = containerdReadyStep(resolvePaths(host.env, host.uid), "/run/user/1000/containerd-rootless");
  const reason = await step.failed!(host);
  expect(reason).toContain("Failed to connect to bus: Connection refused");
  expect(managerGone(reason!)).toBe(true);
});

test("another systemctl failure does not end the wait early", async () => {
  host = await makeTestHost({ commands: { systemctl: () => failed("Some other trouble", 4) } });
  const step = containerdReadyStep(resolvePaths(host.env, host.uid), "/run/user/1000/containerd-rootless");
  expect(await step.failed!(host)).toBeUndefined();
});
