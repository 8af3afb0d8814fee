// The readiness wait after a start: containerd's Version call answered, never a socket file or a
// listener that is not containerd; it gives up as soon as the user manager is gone (install then
// says the manager stopped), instead of polling a socket that cannot come until its deadline.
import { afterEach, expect, test } from "bun:test";
import { failed, makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { containerdReadyStep } from "../../src/core/containerd/ready.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { managerGone } from "../../src/core/systemd/units.ts";
import { containerdApiHandler, serveGrpc } from "../helpers/grpc-server.ts";

const SOCKET = "/run/user/1000/containerd/containerd.sock";

let host: TestHost;
afterEach(() => host?.cleanup());

test("the user manager gone during the wait is its failure, worded so that install recognises it", async () => {
  host = await makeTestHost({ commands: { systemctl: () => failed("Failed to connect to bus: Connection refused") } });
  const step = containerdReadyStep(resolvePaths(host.env, host.uid));
  const reason = await step.failed!(host);
  expect(reason).toContain("Failed to connect to bus: Connection refused");
  expect(managerGone(reason!)).toBe(true);
});

test("another systemctl failure does not end the wait early", async () => {
  host = await makeTestHost({ commands: { systemctl: () => failed("Some other trouble", 4) } });
  const step = containerdReadyStep(resolvePaths(host.env, host.uid));
  expect(await step.failed!(host)).toBeUndefined();
});

test("ready only when containerd answers its Version call: not for a socket file, a silent listener or another gRPC service", async () => {
  host = await makeTestHost({ files: { [SOCKET]: "" } });
  const step = containerdReadyStep(resolvePaths(host.env, host.uid));
  expect(await step.ready(host)).toBe(false); // a file left where the socket was (ctr not on PATH here)
  expect(await step.explain!(host)).toBe(`last answer on ${SOCKET}: no connection (refused, reset, or no socket)`);
  await host.remove(SOCKET);
  const other = serveGrpc(host, SOCKET, () => ({ status: 12, message: "unknown service containerd.services.version.v1.Version" }));
  expect(await step.ready(host)).toBe(false);
  expect(await step.explain!(host)).toBe(`last answer on ${SOCKET}: UNIMPLEMENTED: unknown service containerd.services.version.v1.Version`);
  other.stop();
  await host.remove(SOCKET);
  const containerd = serveGrpc(host, SOCKET, containerdApiHandler());
  expect(await step.ready(host)).toBe(true);
  containerd.stop();
});
