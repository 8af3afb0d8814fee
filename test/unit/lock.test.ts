import { afterEach, expect, test } from "bun:test";
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { acquireLock, lockMark } from "../../src/core/os/lock.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

test("a second run waits briefly, then fails naming the holder; after release it gets the lock", async () => {
  host = await makeTestHost();
  const paths = resolvePaths(host.env, host.uid);
  const first = await acquireLock(host, paths, { purpose: "install" });
  let waitedFor = 0;
  const err = await acquireLock(host, paths, { waitMs: 100, onWait: (h) => (waitedFor = h.pid) }).catch((e) => e);
  expect(waitedFor).toBe(process.pid);
  expect(err.message).toContain(`another containerd-rootless-systemd run is in progress (pid ${process.pid}: install)`);
  expect(err.fix).toContain(paths.lockFile);
  await first.release();
  const again = await acquireLock(host, paths, { waitMs: 100, purpose: "configure" });
  expect(await host.readText(paths.lockFile)).toMatch(new RegExp(`^${process.pid}\nconfigure\n[0-9a-f-]{36}\n$`));
  await again.release();
  expect(await host.readText(paths.lockFile)).toEndWith("\nreleased\n");
});

test("what a run read before taking the lock is reusable only when no other run held the lock since", async () => {
  host = await makeTestHost();
  const paths = resolvePaths(host.env, host.uid);
  // nobody since the mark (no lock file yet, then a released one)
  let mark = await lockMark(host, paths);
  let lock = await acquireLock(host, paths, { since: mark });
  expect(lock.othersSince).toBe(false);
  await lock.release();
  mark = await lockMark(host, paths);
  lock = await acquireLock(host, paths, { since: mark });
  expect(lock.othersSince).toBe(false);
  await lock.release();
  // another run took and released the lock after the mark: what was read is stale
  mark = await lockMark(host, paths);
  await (await acquireLock(host, paths, { purpose: "install" })).release();
  lock = await acquireLock(host, paths, { since: mark });
  expect(lock.othersSince).toBe(true);
  await lock.release();
  // the mark was read while another run held the lock, which then let go: stale too
  const other = await acquireLock(host, paths, { purpose: "install" });
  mark = await lockMark(host, paths);
  await other.release();
  lock = await acquireLock(host, paths, { since: mark });
  expect(lock.othersSince).toBe(true);
  await lock.release();
  // no mark given: never reusable
  lock = await acquireLock(host, paths);
  expect(lock.othersSince).toBe(true);
  await lock.release();
});

test("a holder that died holding the lock (no 'released' line) makes what was read before stale", async () => {
  host = await makeTestHost({ files: { "/run/user/1000/containerd-rootless-systemd.lock": "999999999\ninstall\n0f\n" } });
  const paths = resolvePaths(host.env, host.uid);
  const mark = await lockMark(host, paths);
  const lock = await acquireLock(host, paths, { since: mark });
  expect(lock.othersSince).toBe(true);
  await lock.release();
});

test("a lock file left by a run that was killed holds nothing: the kernel dropped the lock with the process", async () => {
  host = await makeTestHost({ files: { "/run/user/1000/containerd-rootless-systemd.lock": "999999999\ninstall\n" } });
  const paths = resolvePaths(host.env, host.uid);
  const lock = await acquireLock(host, paths, { waitMs: 100 });
  expect(await host.readText(paths.lockFile)).toStartWith(`${process.pid}\n`);
  await lock.release();
});

test("a lock held by another process (flock in a child) blocks until that process dies", async () => {
  host = await makeTestHost();
  const paths = resolvePaths(host.env, host.uid);
  const file = host.path(paths.lockFile);
  const child = Bun.spawn(["flock", "-x", "-o", file, "sh", "-c", "echo locked; exec sleep 30"], { stdout: "pipe" });
  const reader = child.stdout.getReader();
  await reader.read(); // "locked"
  const err = await acquireLock(host, paths, { waitMs: 100 }).catch((e) => e);
  expect(err.message).toContain("another containerd-rootless-systemd run is in progress");
  child.kill("SIGKILL");
  await child.exited;
  const lock = await acquireLock(host, paths, { waitMs: 2000 });
  await lock.release();
});

test("a runtime directory others can enter (mode 0755, or /tmp) is refused before any lock is taken", async () => {
  host = await makeTestHost();
  const paths = resolvePaths(host.env, host.uid);
  await chmod(join(host.root, "/run/user/1000"), 0o755);
  const err = await acquireLock(host, paths, { waitMs: 100 }).catch((e) => e);
  expect(err.message).toContain("XDG_RUNTIME_DIR (/run/user/1000) has mode 0755");
  expect(err.fix).toBe("chmod 700 /run/user/1000");
  expect(await host.exists(paths.lockFile)).toBe(false);
  const tmp = await makeTestHost({ env: { ...host.env, XDG_RUNTIME_DIR: "/tmp" }, dirs: ["/tmp"] });
  const e2 = await acquireLock(tmp, resolvePaths(tmp.env, tmp.uid), { waitMs: 100 }).catch((e) => e);
  expect(e2.message).toContain("XDG_RUNTIME_DIR (/tmp) belongs to uid 0");
  expect(e2.fix).toContain("export XDG_RUNTIME_DIR=/run/user/1000");
  await tmp.cleanup();
});
