// verify's view of one agent container (core/verify/containers.ts): the parts of the agent's
// report arrive as it prints them, and when it ends without reporting some (stopped by an
// interrupt, killed by its deadline) every part it did not report is null — asked before its
// end or after. The process is a real one (sh printing what the agent prints, then ending as
// an agent stopped by SIGTERM does), in place of `ctr run`.
import { test, expect } from "bun:test";
import { makeTestHost } from "../helpers/test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { startAgentContainer } from "../../src/core/verify/containers.ts";
import type { StackFacts } from "../../src/core/verify/facts.ts";

const paths = resolvePaths({ HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000" }, 1000);
const result = JSON.stringify({ event: "result", rootfs: { ok: true, fsType: "overlay", detail: "wrote /.crs-verify-probe" }, interfaces: [{ name: "tap0", cidr: "10.0.2.100/24" }] });

/** `ctr` replaced by a shell that prints `script`'s output (the arguments verify passes it are ignored). */
function facts(script: string): StackFacts {
  return { nsenter: ["/bin/sh", "-c", script, "ctr"], nsenterEnv: {}, ctr: "ctr", stateDir: "/run/user/1000/containerd-rootless", detached: false, resolvConf: null } as unknown as StackFacts;
}

/** A part's value, or "still pending" when it has not settled within `ms` of the process's end. */
async function settled<T>(p: Promise<T>, ms = 3000): Promise<T | "still pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<"still pending">((r) => (timer = setTimeout(() => r("still pending"), ms)));
  try {
    return await Promise.race([p, pending]);
  } finally {
    clearTimeout(timer);
  }
}

test("an agent that ends before reporting every part: the parts it reported keep their values, every other one is null, asked before its end or after", async () => {
  const host = await makeTestHost();
  const c = startAgentContainer(host, paths, facts(`echo '${result}'; exit 143`), { namespace: "crs-verify-1", image: "crs-verify.invalid/rootfs:1", mounts: [] }, "crs-verify-1-main", { deadlineMs: 15_000 });
  const asked = { links: c.part("links"), route: c.part("route"), tcp: c.part("tcp") }; // before its end: what the network probe waits on
  const end = await c.exited;
  expect(end.code).toBe(143);
  expect(await settled(c.part("rootfs"))).toMatchObject({ ok: true, fsType: "overlay" });
  expect(await settled(c.part("interfaces"))).toEqual([{ name: "tap0", cidr: "10.0.2.100/24" }]);
  for (const [key, p] of Object.entries(asked) as [string, Promise<unknown>][]) expect([key, await settled(p)]).toEqual([key, null]);
  expect(await settled(c.part("dns"))).toBeNull(); // asked after its end
  expect(await settled(c.part("cgroup"))).toBeNull();
  expect(await settled(c.listening)).toBeNull();
});
