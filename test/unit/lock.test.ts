import { afterEach, expect, test } from "bun:test";
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { acquireLock } from "../../src/core/os/lock.ts";
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
  expect(await host.readText(paths.lockFile)).toBe(`${process.pid}\nconfigure\n`);
  await again.release();
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
