// This machine's own address, for e2e tests whose traffic must leave a network namespace: a
// container with only a loopback cannot reach it; a namespace behind pasta or slirp4netns can.
import { expect } from "bun:test";

/** The first global IPv4 address of this machine (`ip -4 addr show scope global`). */
export function hostAddress(): string {
  const out = Bun.spawnSync(["ip", "-4", "-o", "addr", "show", "scope", "global"]).stdout.toString();
  const address = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(out)?.[1];
  expect(address, `no global IPv4 address on this machine (ip -4 addr: ${out})`).toBeDefined();
  return address!;
}

/** Waits until http://ADDRESS:PORT/PATH answers 200 (a server the test just started). */
export async function untilServing(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await fetch(url).catch(() => null))?.ok) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${url} to answer`);
}
