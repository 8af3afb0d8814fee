// The readiness wait after a start: containerd's Version call answered, never a socket file or a
// listener that is not containerd; it gives up as soon as the user manager is gone (install then
// says the manager stopped), instead of polling a socket that cannot come until its deadline.
// "Gone" is what it is: the manager's socket ($XDG_RUNTIME_DIR/systemd/private) no longer
// accepts, or systemctl says it could not connect in any release's words (systemd 252:
// "Failed to connect to bus: …"; 257: "Failed to connect to user scope bus via local transport: …").
import { afterEach, expect, test } from "bun:test";
import { failed, listenUnix, makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { containerdReadyStep } from "../../src/core/containerd/ready.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { managerGone, saysManagerUnreachable } from "../../src/core/systemd/manager.ts";
import { containerdApiHandler, serveGrpc } from "../helpers/grpc-server.ts";

let host: TestHost;
let stopListening = () => {};
afterEach(async () => {
  stopListening();
  await host?.cleanup();
});

const MANAGER_SOCKET = "/run/user/1000/systemd/private";
const SOCKET = "/run/user/1000/containerd/containerd.sock";
const WORDS_252 = "Failed to connect to bus: Connection refused";
const WORDS_257 = "Failed to connect to user scope bus via local transport: Connection refused";
const waitStep = () => containerdReadyStep(resolvePaths(host.env, host.uid));

for (const [release, words] of [["252", WORDS_252], ["257", WORDS_257]] as const) {
  test(`systemd ${release}'s words for a gone manager end the wait at once, worded so that install recognises it`, async () => {
    host = await makeTestHost({ commands: { systemctl: () => failed(words) } });
    const reason = await waitStep().failed!(host);
    expect(reason).toContain(words);
    expect(saysManagerUnreachable(reason!)).toBe(true);
    expect(await managerGone(host, reason!)).toBe(true);
  });
}

test("a manager whose socket is gone is gone, whatever systemctl's words (a release not seen yet)", async () => {
  host = await makeTestHost({ commands: { systemctl: () => failed("Bus connection went away in some new wording", 1) } });
  const reason = await waitStep().failed!(host);
  expect(reason).toContain("some new wording");
  expect(await managerGone(host, "")).toBe(true);
});

test("another systemctl failure while the manager listens does not end the wait early", async () => {
  host = await makeTestHost({ commands: { systemctl: () => failed("Some other trouble", 4) } });
  stopListening = await listenUnix(host, MANAGER_SOCKET);
  expect(await managerGone(host, "Some other trouble")).toBe(false);
  expect(await waitStep().failed!(host)).toBeUndefined();
});

test("the words alone decide where the socket cannot be located (no XDG_RUNTIME_DIR)", async () => {
  host = await makeTestHost({ env: { HOME: "/home/alice", USER: "alice", PATH: "/usr/bin:/bin" } });
  expect(await managerGone(host, WORDS_257)).toBe(true);
  expect(await managerGone(host, WORDS_252)).toBe(true);
  expect(await managerGone(host, "Unit containerd.service not found.")).toBe(false);
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
