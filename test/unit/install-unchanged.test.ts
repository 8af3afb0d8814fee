// A second install with nothing to change is told without a process (installedAsPlanned): the
// copy, the exact unit text, the enablement link, RootlessKit's child alive, and containerd
// answering its Version call. Anything that differs sends install down the full path; a socket
// file, a listener that is not containerd's API or a pid that lives on are not "running".
import { afterEach, expect, test } from "bun:test";
import { fakeSystemd, UNIT } from "../helpers/fake-systemd.ts";
import type { TestHost } from "../helpers/test-host.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { applyPlan } from "../../src/core/plan/execute.ts";
import { installedAsPlanned } from "../../src/core/lifecycle/unchanged.ts";
import { serveGrpc } from "../helpers/grpc-server.ts";

const SOCKET = "/run/user/1000/containerd/containerd.sock";

let host: TestHost;
afterEach(() => host?.cleanup());

test("installed, enabled and running as install would leave it: yes; any difference: no", async () => {
  const f = await fakeSystemd({ files: { "/usr/lib/systemd/user/dbus.socket": "[Socket]\n" } });
  host = f.h;
  await applyPlan(host, (await planInstall(host, f.paths, { readyTimeoutMs: 2000 })).steps);
  // install made the enabling link itself; what RootlessKit leaves behind
  const link = "/home/alice/.config/systemd/user/default.target.wants/containerd.service";
  expect(await host.readlink(link)).toBe(UNIT);
  await host.writeFileAtomic("/run/user/1000/containerd-rootless/child_pid", "4242\n");
  await host.mkdirp("/proc/4242");
  expect(await installedAsPlanned(host, f.paths)).toEqual({ unitFile: UNIT, execStart: ["/home/alice/.local/bin/containerd-rootless-systemd", "launch"] });

  await host.remove(link); // disabled
  expect(await installedAsPlanned(host, f.paths)).toBeNull();
  await host.symlink(UNIT, link);
  await host.remove("/proc/4242", { recursive: true }); // RootlessKit's child is gone
  expect(await installedAsPlanned(host, f.paths)).toBeNull();
  await host.mkdirp("/proc/4242");
  const unit = (await host.readText(UNIT))!;
  await host.writeFileAtomic(UNIT, unit.replace("RestartSec=2", "RestartSec=5")); // edited by hand
  expect(await installedAsPlanned(host, f.paths)).toBeNull();
  await host.writeFileAtomic(UNIT, unit);
  await host.writeFileAtomic("/home/alice/Downloads/containerd-rootless-systemd", "NEWER BINARY"); // a new download
  expect(await installedAsPlanned(host, f.paths)).toBeNull();
});

test("containerd's socket without containerd's API behind it is not running: a stale file, a listener that closes, an HTTP/1 server, another gRPC service", async () => {
  const f = await fakeSystemd({ files: { "/usr/lib/systemd/user/dbus.socket": "[Socket]\n" } });
  host = f.h;
  await applyPlan(host, (await planInstall(host, f.paths, { readyTimeoutMs: 2000 })).steps);
  // RootlessKit's child_pid names a live process (a pid reused after containerd died looks the same)
  await host.writeFileAtomic("/run/user/1000/containerd-rootless/child_pid", "4242\n");
  await host.mkdirp("/proc/4242");
  expect(await installedAsPlanned(host, f.paths)).not.toBeNull();
  await f.api.stop(); // containerd gone; its socket file left behind
  await host.writeFileAtomic(SOCKET, "");
  expect(await installedAsPlanned(host, f.paths)).toBeNull();
  await host.remove(SOCKET);
  const listeners: Record<string, (s: any) => void> = {
    closes: (s) => s.end(),
    "speaks HTTP/1": (s) => s.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
  };
  for (const [what, answer] of Object.entries(listeners)) {
    const server = Bun.listen({ unix: host.path(SOCKET), socket: { data: answer, open: () => {} } });
    try {
      expect(await installedAsPlanned(host, f.paths), what).toBeNull();
    } finally {
      server.stop(true);
      await host.remove(SOCKET);
    }
  }
  const other = serveGrpc(host, SOCKET, (call) => ({ status: 12, message: `unknown service ${call.method.split("/")[1]}` }));
  try {
    expect(await installedAsPlanned(host, f.paths)).toBeNull();
    expect(other.calls.map((c) => c.method)).toEqual(["/containerd.services.version.v1.Version/Version"]);
  } finally {
    other.stop();
  }
});
