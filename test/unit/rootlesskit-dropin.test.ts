import { environmentAssignment } from "../../src/core/systemd/syntax.ts";
import { test, expect, describe, afterEach } from "bun:test";
import {
  updateDropIn, dropInSettings, dropInEnvironment, parseEnvironmentValue, isEmptyDropIn, effectiveSettings, readDropIns,
} from "../../src/core/rootlesskit/dropin.ts";
import { parseSettings, rawSettingsFromFlags } from "../../src/core/rootlesskit/settings.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { serviceEnvironment } from "../../src/core/systemd/service-environment.ts";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";

const USER_FILE = `# my tweaks, keep me
[Unit]
Description=containerd with my tweaks

[Service]
; a semicolon comment
Environment=GODEBUG="netdns=go" CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1400
Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="false"
LimitNOFILE=4096
Environment="TZ=Europe/Berlin,UTC"

[Install]
WantedBy=default.target
`;

describe("systemd Environment= quoting", () => {
  test("quotes around the value, the whole word, escapes, %%", () => {
    expect(parseEnvironmentValue(`A="x y" B=y "C=z w" D=a\\"b E='q r' F=100%% G=`).map((a) => [a.name, a.value])).toEqual([
      ["A", "x y"], ["B", "y"], ["C", "z w"], ["D", 'a"b'], ["E", "q r"], ["F", "100%"], ["G", ""],
    ]);
  });
  test("environmentAssignment (the one quoting of units and drop-ins) round-trips awkward values, quoted always or when needed", () => {
    for (const v of [`--a "b c"`, `back\\slash`, "50%", "", "x'y", "two\nlines", "a b", "/usr/bin:/bin"]) {
      for (const quote of ["always", "when-needed"] as const) {
        const text = environmentAssignment("K", v, quote);
        expect(text).not.toContain("\n"); // one physical line
        expect(parseEnvironmentValue(text).map((a) => [a.name, a.value])).toEqual([["K", v]]);
      }
    }
    expect(environmentAssignment("PATH", "/usr/bin:/bin", "when-needed")).toBe("PATH=/usr/bin:/bin");
    expect(environmentAssignment("K", "1500")).toBe('K="1500"');
  });
  test("several Environment lines, later wins, empty Environment= clears, other sections ignored", () => {
    expect(dropInEnvironment("[Service]\nEnvironment=A=1 B=2\nEnvironment=A=3\n[Unit]\nEnvironment=A=9\n")).toEqual({ A: "3", B: "2" });
    expect(dropInEnvironment("[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n")).toEqual({ B: "2" });
    expect(dropInEnvironment("[Service]\nEnvironment=A=1 \\\n  B=2\n")).toEqual({ A: "1", B: "2" });
  });
});

describe("drop-ins as systemd really reads them (checked against systemd 252)", () => {
  test("specifiers are expanded after unquoting: %t, %h, %E, %%", () => {
    const spec = { t: "/run/user/1000", h: "/home/alice", E: "/home/alice/.config" };
    expect(dropInEnvironment(`[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR=%t/rk "B=%h/x %%E" C=%E\n`, spec)).toEqual({
      CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR: "/run/user/1000/rk", B: "/home/alice/x %E", C: "/home/alice/.config",
    });
  });
  test("a comment line inside a continuation is skipped, the continuation goes on", () => {
    expect(dropInEnvironment("[Service]\nEnvironment=A=1 \\\n# comment inside\n  B=2\n")).toEqual({ A: "1", B: "2" });
  });
  test("C escapes; an invalid escape or an open quote ends the line's assignments; invalid names are ignored", () => {
    expect(dropInEnvironment("[Service]\nEnvironment=A=\\x41\\u00e9\\101 C=a\\;b D=d\n")).toEqual({ A: "A\u00e9A" });
    expect(dropInEnvironment(`[Service]\nEnvironment=X=1 A="unterminated\n`)).toEqual({ X: "1" });
    expect(dropInEnvironment("[Service]\nEnvironment=1BAD=x A-B=y NOEQ A=ok\n")).toEqual({ A: "ok" });
  });
  test("updating a line keeps the words systemd ignores as written", () => {
    const text = `[Service]\nEnvironment=NOEQ 1BAD=x CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1400 Z="open\n`;
    expect(updateDropIn(text, { mtu: null })).toBe(`[Service]\nEnvironment=NOEQ 1BAD=x Z="open\n`);
  });
  test("settings written with a specifier count with their expanded value", () => {
    const text = `[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR=%t/rk\n`;
    expect(parseSettings(dropInSettings(text, { t: "/run/user/1000" })).stateDir).toBe("/run/user/1000/rk");
  });
});

describe("reading our settings", () => {
  test("drop-in -> raw settings -> typed", () => {
    const raw = dropInSettings(USER_FILE);
    expect(raw).toEqual({ mtu: "1400", detachNetns: "false" });
    expect(parseSettings(raw)).toEqual({ mtu: 1400, detachNetns: "false" });
  });
});

describe("updating keeps every line we do not own", () => {
  test("set an existing key in place, add a new one at the end of [Service]", () => {
    const out = updateDropIn(USER_FILE, { detachNetns: "true", net: "slirp4netns" });
    expect(out).toBe(USER_FILE.replace(`Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="false"`, `Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="true"`)
      .replace(`Environment="TZ=Europe/Berlin,UTC"\n`, `Environment="TZ=Europe/Berlin,UTC"\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_NET="slirp4netns"\n`));
  });
  test("a key on a shared line: the other assignment stays as written, ours moves to its own line", () => {
    const out = updateDropIn(USER_FILE, { mtu: "1500" });
    expect(out).toContain(`Environment=GODEBUG="netdns=go"\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n`);
    expect(dropInEnvironment(out)).toMatchObject({ GODEBUG: "netdns=go", CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU: "1500", TZ: "Europe/Berlin,UTC" });
    const untouched = (t: string) => t.split("\n").filter((l) => !l.includes("ROOTLESSKIT") && !l.includes("GODEBUG"));
    expect(untouched(out)).toEqual(untouched(USER_FILE));
  });
  test("reset removes only our key; other lines byte for byte", () => {
    const out = updateDropIn(USER_FILE, { detachNetns: null, mtu: null });
    expect(out).toBe(USER_FILE.replace(`Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="false"\n`, "").replace(` CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1400`, ""));
    expect(dropInSettings(out)).toEqual({});
  });
  test("no change asked -> identical text; resetting an absent key -> identical text", () => {
    expect(updateDropIn(USER_FILE, {})).toBe(USER_FILE);
    expect(updateDropIn(USER_FILE, { net: null })).toBe(USER_FILE);
  });
  test("setting the same value twice is stable", () => {
    const once = updateDropIn(USER_FILE, { net: "vpnkit" });
    expect(updateDropIn(once, { net: "vpnkit" })).toBe(once);
  });
  test("a new file is the seed's format; a file without [Service] gets one appended", () => {
    expect(updateDropIn("", { detachNetns: "false" })).toBe(`[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="false"\n`);
    expect(updateDropIn("[Unit]\nAfter=x\n", { mtu: "1500" })).toBe(`[Unit]\nAfter=x\n\n[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n`);
  });
  test("FLAGS with quotes survive the drop-in and split like a shell", () => {
    const text = updateDropIn("", rawSettingsFromFlags({ flags: `--pidns --cidr="10.0.9.0/24"` }) as never);
    expect(parseSettings(dropInSettings(text)).flags).toEqual(["--pidns", "--cidr=10.0.9.0/24"]);
  });
  test("after resetting everything the file is empty enough to delete", () => {
    const t = updateDropIn("", { mtu: "1500", net: "vpnkit" });
    expect(isEmptyDropIn(updateDropIn(t, { mtu: null, net: null }))).toBe(true);
    expect(isEmptyDropIn(updateDropIn(USER_FILE, { mtu: null, detachNetns: null }))).toBe(false);
  });
});

describe("effective settings for configure --show", () => {
  let host: TestHost | undefined;
  afterEach(async () => host?.cleanup());

  test("drop-in beats the manager environment beats the default; later drop-ins win", async () => {
    host = await makeTestHost({
      files: {
        "/home/alice/.config/systemd/user/containerd.service.d/override.conf": `[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400"\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_NET=vpnkit\n`,
        "/home/alice/.config/systemd/user/containerd.service.d/zz-late.conf": `[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1300\n`,
        "/home/alice/.config/systemd/user/containerd.service.d/notes.txt": `[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_FLAGS=--x\n`,
      },
    });
    const paths = resolvePaths(host.env, 1000);
    const dropIns = await readDropIns(host, paths);
    expect(dropIns.map((d) => d.path.split("/").pop())).toEqual(["override.conf", "zz-late.conf"]);
    const eff = effectiveSettings(await serviceEnvironment(host, paths, { manager: { CONTAINERD_ROOTLESS_ROOTLESSKIT_NET: "slirp4netns", CONTAINERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER: "slirp4netns" } }));
    const by = Object.fromEntries(eff.map((e) => [e.key, e]));
    expect(by.mtu).toMatchObject({ value: "1300", source: "drop-in", file: "/home/alice/.config/systemd/user/containerd.service.d/zz-late.conf" });
    expect(by.net).toMatchObject({ value: "vpnkit", source: "drop-in" });
    expect(by.portDriver).toMatchObject({ value: "slirp4netns", source: "environment" });
    expect(by.detachNetns).toMatchObject({ value: undefined, source: "default", flag: "--detach-netns" });
    expect(by.flags!.source).toBe("default");
  });
});
