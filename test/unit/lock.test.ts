import { afterEach, expect, test } from "bun:test";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { acquireLock } from "../../src/core/os/lock.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

test("a second run waits briefly, then fails naming the holder; after release it gets the lock", async () => {
  host = await makeTestHost({ dirs: ["/run/user/1000"] });
  const paths = resolvePaths(host.env, host.uid);
  const first = await acquireLock(host, paths, { purpose: "install" });
  let waitedFor = 0;
  const err = await acquireLock(host, paths, { waitMs: 100, onWait: (h) => (waitedFor = h.pid) }).catch((e) => e);
  expect(waitedFor).toBe(process.pid);
  expect(err.message).toContain(`another containerd-rootless-systemd run is in progress (pid ${process.pid}: install)`);
  expect(err.fix).toContain(paths.lockFile);
  await first.release();
  expect(await host.exists(paths.lockFile)).toBe(false);
  const again = await acquireLock(host, paths, { waitMs: 100 });
  await again.release();
});

test("a lock left by a run that no longer exists is taken over", async () => {
  host = await makeTestHost({ files: { "/run/user/1000/containerd-rootless-systemd.lock": "999999999\ninstall\n" } });
  const paths = resolvePaths(host.env, host.uid);
  const lock = await acquireLock(host, paths, { waitMs: 100 });
  expect(await host.readText(paths.lockFile)).toStartWith(`${process.pid}\n`);
  await lock.release();
});

test("release never removes a lock another run holds", async () => {
  host = await makeTestHost({ dirs: ["/run/user/1000"] });
  const paths = resolvePaths(host.env, host.uid);
  const lock = await acquireLock(host, paths);
  await host.writeFileAtomic(paths.lockFile, "1\nother\n", 0o600);
  await lock.release();
  expect(await host.readText(paths.lockFile)).toBe("1\nother\n");
});
