import { describe, expect, test } from "bun:test";
import { execLine } from "../../src/core/systemd/syntax.ts";
import { containerdUnit, isOwned, parseShow, renderUnit, serviceUnit, startFailure, OWNED_MARKER } from "../../src/core/systemd/units.ts";
import { servicePath } from "../../src/core/systemd/service-path.ts";

const REFERENCE = `[Unit]
Description=containerd (Rootless)
Requires=dbus.socket

[Service]
Environment=PATH=/home/alice/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ExecStart=/home/alice/.local/bin/containerd-rootless-systemd launch
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutSec=0
RestartSec=2
Restart=always
StartLimitBurst=3
StartLimitInterval=60s
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
Delegate=yes
Type=simple
KillMode=mixed

[Install]
WantedBy=default.target
`;

describe("containerd unit", () => {
  const opts = { execStart: ["/home/alice/.local/bin/containerd-rootless-systemd", "launch"], path: servicePath(["/home/alice/.local/bin", "/usr/bin", "/usr/bin"]), dbusSocket: true };

  test("is the reference unit behind our marker", () => {
    const text = renderUnit(containerdUnit(opts));
    expect(text.startsWith(OWNED_MARKER)).toBe(true);
    expect(text.slice(text.indexOf("[Unit]"))).toBe(REFERENCE);
    expect(isOwned(text)).toBe(true);
    expect(isOwned(REFERENCE)).toBe(false);
  });

  test("Requires=dbus.socket only when the user has a dbus socket unit", () => {
    expect(renderUnit(containerdUnit({ ...opts, dbusSocket: false }))).not.toContain("dbus.socket");
  });

  test("ExecStart arguments with spaces, $ and % are quoted for systemd", () => {
    expect(execLine(["/home/a b/bin", "launch"])).toBe('"/home/a b/bin" launch');
    expect(execLine(["/x/$HOME", "50%"])).toBe("/x/$$HOME 50%%");
  });

  test("an add-on unit shares the model: PartOf/After containerd", () => {
    const text = renderUnit(serviceUnit({ name: "buildkit.service", description: "BuildKit (Rootless)", execStart: ["/bin/buildkitd", "--oci-worker=true"], partOf: ["containerd.service"], after: ["containerd.service"] }));
    expect(text).toContain("[Unit]\nDescription=BuildKit (Rootless)\nPartOf=containerd.service\nAfter=containerd.service\n");
    expect(text).toContain("ExecStart=/bin/buildkitd --oci-worker=true\n");
    expect(text).toContain("Restart=always\nType=simple\nKillMode=mixed\n");
    expect(text).toContain("[Install]\nWantedBy=default.target\n");
  });
});

describe("systemctl show", () => {
  const out = `Id=containerd.service
LoadState=loaded
ActiveState=active
SubState=running
MainPID=4242
ActiveEnterTimestamp=Mon 2026-11-30 03:02:45 UTC
UnitFileState=enabled
FragmentPath=/home/alice/.config/systemd/user/containerd.service
NeedDaemonReload=no
NRestarts=0

Id=dbus.socket
LoadState=not-found
ActiveState=inactive
SubState=dead
MainPID=0
ActiveEnterTimestamp=
UnitFileState=
NeedDaemonReload=no
NRestarts=0
`;
  test("parses several units, in the order asked", () => {
    const [c, d] = parseShow(out, ["containerd.service", "dbus.socket"]);
    expect(c).toMatchObject({ loadState: "loaded", activeState: "active", subState: "running", mainPid: 4242, unitFileState: "enabled", activeSince: "Mon 2026-11-30 03:02:45 UTC" });
    expect(d).toMatchObject({ loadState: "not-found", mainPid: 0, activeSince: "" });
  });

  test("a unit that exited and waits to restart is a start failure; a starting one is not", () => {
    const [c] = parseShow(out.replace("ActiveState=active", "ActiveState=activating").replace("SubState=running", "SubState=auto-restart"), ["containerd.service"]);
    expect(startFailure(c!)).toContain("restarting");
    const [s] = parseShow(out.replace("ActiveState=active", "ActiveState=activating").replace("SubState=running", "SubState=start"), ["containerd.service"]);
    expect(startFailure(s!)).toBeUndefined();
    const [f] = parseShow(out.replace("ActiveState=active", "ActiveState=failed"), ["containerd.service"]);
    expect(startFailure(f!)).toContain("failed");
  });
});
