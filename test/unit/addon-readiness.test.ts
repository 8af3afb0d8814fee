// "Installed" means the add-on answers a real request. The probes against real unix sockets
// (a listener that accepts and closes is no answer; an HTTP/2 server that answers a gRPC call
// is), the plan composing every add-on's wait after the one containerd restart, foreign unit
// files, buildkitd.toml moved (never deleted) with the plan, and bypass4netns' prerequisites.
import { afterEach, describe, expect, test } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { grpcProbe, httpProbe } from "../../src/core/os/socket-protocols.ts";
import { grpcRequestHeaders } from "../../src/core/os/grpc.ts";
import { serveGrpc } from "../helpers/grpc-server.ts";
import { composeSteps, planAddons } from "../../src/core/lifecycle/addons.ts";
import { applyPlan, ApplyError } from "../../src/core/plan/execute.ts";
import { bypass4netnsPrerequisites } from "../../src/plugins/kit/bypass4netns-prereqs.ts";
import { OWNED_MARKER } from "../../src/core/systemd/units.ts";
import type { Step } from "../../src/core/plan/steps.ts";
import "../../src/plugins/index.ts";

let host: TestHost;
const servers: { stop(): void }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.stop();
  await host?.cleanup();
});

/** A unix socket server under the host's temp root; `onData` answers (or not) each chunk. */
function listen(path: string, handlers: { open?: (s: any) => void; data?: (s: any, d: Uint8Array) => void }) {
  const server = Bun.listen({ unix: host.path(path), socket: { open: handlers.open ?? (() => {}), data: handlers.data ?? (() => {}) } });
  servers.push({ stop: () => server.stop(true) });
}

const frame = (type: number, flags: number, stream: number, payload: number[] = []) => [0, 0, payload.length, type, flags, 0, 0, 0, stream, ...payload];

describe("probes on real sockets", () => {
  test("a listener that accepts and closes: the socket accepts, but no gRPC or HTTP answer", async () => {
    host = await makeTestHost({ dirs: ["/run"] });
    listen("/run/closer.sock", { open: (s) => s.end() });
    expect(await host.unixSocketAccepts("/run/closer.sock")).toBe(true);
    expect((await grpcProbe(host, "/run/closer.sock", "/x.Y/Z")).ok).toBe(false);
    expect((await httpProbe(host, "/run/closer.sock", "/v1/bypass", "bypass4netnsd")).ok).toBe(false);
  });

  test("no socket, or nobody listening: no answer, and no connection accepted", async () => {
    host = await makeTestHost({ files: { "/run/stale.sock": "" } });
    expect(await host.unixSocketAccepts("/run/none.sock")).toBe(false);
    expect(await host.unixSocketAccepts("/run/stale.sock")).toBe(false);
    expect(await grpcProbe(host, "/run/none.sock", "/x.Y/Z")).toEqual({ ok: false, detail: "no connection (refused, reset, or no socket)" });
  });

  test("an HTTP/2 answer with :status 200 but no grpc-status is no answer; grpc-status 0 is; an error or UNIMPLEMENTED is not, with the server's message", async () => {
    host = await makeTestHost({ dirs: ["/run"] });
    let got = new Uint8Array(0);
    listen("/run/h2.sock", {
      data: (s, d) => {
        got = new Uint8Array([...got, ...d]);
        if (got.length >= 24 + 9) s.write(new Uint8Array([...frame(4, 0, 0), ...frame(1, 5, 1, [0x88])])); // :status 200, END_STREAM
      },
    });
    expect(await grpcProbe(host, "/run/h2.sock", "/moby.buildkit.v1.Control/ListWorkers")).toEqual({ ok: false, detail: "the call ended without a grpc-status" });
    expect(new TextDecoder().decode(got.subarray(0, 24))).toBe("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    expect(new TextDecoder().decode(got)).toContain("/moby.buildkit.v1.Control/ListWorkers");
    const replies: Record<string, { status?: number; message?: string }> = {
      "/moby.buildkit.v1.Control/ListWorkers": {},
      "/no.such.Service/Method": { status: 12, message: "unknown service no.such.Service" },
      "/moby.buildkit.v1.Control/Status": { status: 13, message: "100% broken: é" },
    };
    const server = serveGrpc(host, "/run/grpc.sock", (call) => replies[call.method]!);
    servers.push(server);
    expect(await grpcProbe(host, "/run/grpc.sock", "/moby.buildkit.v1.Control/ListWorkers")).toEqual({ ok: true, detail: "/moby.buildkit.v1.Control/ListWorkers: OK" });
    expect(await grpcProbe(host, "/run/grpc.sock", "/no.such.Service/Method")).toEqual({ ok: false, detail: "/no.such.Service/Method: UNIMPLEMENTED: unknown service no.such.Service" });
    // grpc-message is percent-encoded on the wire
    expect(await grpcProbe(host, "/run/grpc.sock", "/moby.buildkit.v1.Control/Status")).toEqual({ ok: false, detail: "/moby.buildkit.v1.Control/Status: INTERNAL: 100% broken: é" });
  });

  test("the request headers use the HPACK static table for :method/:scheme and a literal :path", () => {
    const h = grpcRequestHeaders("/a.B/C");
    expect([...h.subarray(0, 3)]).toEqual([0x83, 0x86, 0x04]);
    expect(new TextDecoder().decode(h.subarray(4, 4 + h[3]!))).toBe("/a.B/C");
  });

  test("HTTP: a 2xx is an answer, a 404 is not", async () => {
    host = await makeTestHost({ dirs: ["/run"] });
    listen("/run/api.sock", { data: (s, d) => s.end(new TextDecoder().decode(d).startsWith("GET /v1/bypass ") ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]" : "HTTP/1.1 404 Not Found\r\n\r\n") });
    expect(await httpProbe(host, "/run/api.sock", "/v1/bypass", "bypass4netnsd")).toEqual({ ok: true, detail: "GET /v1/bypass: HTTP 200" });
    expect(await httpProbe(host, "/run/api.sock", "/v2/x", "bypass4netnsd")).toEqual({ ok: false, detail: "GET /v2/x: HTTP 404" });
  });
});

describe("composing plans", () => {
  const restart: Step = { kind: "systemctl", args: ["restart", "containerd.service"] };
  const api: Step = { kind: "wait", what: "the containerd API", timeoutMs: 1, ready: async () => true };
  const own = (what: string): Step => ({ kind: "wait", what, timeoutMs: 1, ready: async () => true });
  const after = (what: string): Step => ({ ...own(what), afterContainerdRestart: true }) as Step;

  test("every add-on's wait that must hold after the restart goes after the last one, once each", () => {
    const fuse = [own("fuse socket"), restart, api, after("fuse via containerd")];
    const stargz = [own("stargz socket"), restart, api, after("stargz via containerd")];
    const buildkit = [after("buildkit gRPC")];
    expect(composeSteps([fuse, stargz, buildkit]).map((s) => (s.kind === "wait" ? s.what : "restart"))).toEqual(["fuse socket", "stargz socket", "restart", "the containerd API", "fuse via containerd", "stargz via containerd", "buildkit gRPC"]);
    // no restart in the plan: the wait stays where it is
    expect(composeSteps([buildkit])).toEqual(buildkit);
  });

  test("a wait that times out fails with its explanation (status, last answer) and rolls back", async () => {
    host = await makeTestHost({ dirs: ["/etc"] });
    const steps: Step[] = [
      { kind: "write", path: "/etc/unit", content: "x" },
      { kind: "wait", what: "stargz through containerd", timeoutMs: 50, everyMs: 10, ready: async () => false, explain: async () => "last answer: connection refused\nunit: activating" },
    ];
    const e = await applyPlan(host, steps).catch((x) => x);
    expect(e).toBeInstanceOf(ApplyError);
    expect(e.message).toContain("timed out");
    expect(e.failure.output).toBe("last answer: connection refused\nunit: activating");
    expect(await host.exists("/etc/unit")).toBe(false);
  });
});

describe("add-on files that are the user's", () => {
  const HOME = "/home/alice";
  const setup = async (files: Record<string, string>) => {
    host = await makeTestHost({
      // Debian's CNI plugins, which BuildKit's bridge networking needs
      files: { "/etc/passwd": "alice:x:1000:1000::/home/alice:/bin/sh\n", ...Object.fromEntries(["bridge", "loopback", "host-local", "firewall"].map((p) => [`/usr/lib/cni/${p}`, { content: "ELF", mode: 0o755 }])), ...files },
      commands: {
        systemctl: (argv) => (argv[2] === "show" ? ok(argv.slice(argv.indexOf("--") + 1).map((n) => `Id=${n}\nLoadState=loaded\nActiveState=active\nSubState=running\n`).join("\n")) : ok()),
        "/usr/local/bin/buildkitd": (argv) => ok(argv[1] === "--version" ? "buildkitd github.com/moby/buildkit v0.13.1 x" : "--oci-worker-net value (auto, cni, host, bridge)"),
      },
    });
    return resolvePaths(host.env, host.uid);
  };

  test("a buildkit.service left by the reference installer: replaced only in the plan (diff + backup + warning), never counted as ours", async () => {
    const theirs = "[Unit]\nDescription=BuildKit (Rootless)\n[Service]\nExecStart=/usr/local/bin/containerd-rootless-setuptool.sh nsenter -- buildkitd\n";
    const paths = await setup({ [`${HOME}/.config/systemd/user/buildkit.service`]: theirs });
    const status = await (await import("../../src/plugins/registry.ts")).getPlugin("buildkit")!.status({ host, paths });
    expect(status.installed).toBe(false);
    const plan = await planAddons(host, paths, ["buildkit"], "install");
    const write = plan.steps.find((s) => s.kind === "write" && s.path.endsWith("/buildkit.service")) as Extract<Step, { kind: "write" }>;
    expect(write.backupTo).toMatch(/\/backups?\/buildkit\.service\./);
    expect(write.content.startsWith(OWNED_MARKER)).toBe(true);
    expect(plan.warnings.join("\n")).toContain("buildkit.service was not written by this tool");
    expect(plan.warnings.join("\n")).toContain(`kept as ${write.backupTo}`);
    // their daemon may be running: it is restarted from our unit, so it is not theirs that answers the probe
    const labels = plan.steps.map((s) => (s.kind === "systemctl" ? s.args.join(" ") : s.kind));
    expect(labels).toEqual(["write", "daemon-reload", "enable --now buildkit.service", "restart buildkit.service", "wait"]);
    // removal leaves a foreign unit alone
    await expect(planAddons(host, paths, ["buildkit"], "uninstall")).resolves.toMatchObject({ steps: [] });
  });

  test("BuildKit upgraded under detach-netns: buildkitd.toml is shown and moved to the backups (not deleted)", async () => {
    const toml = "# mine\n[worker.oci]\n  networkMode = \"host\"\n";
    const paths = await setup({
      [`${HOME}/.config/buildkit/buildkitd.toml`]: toml,
      [`${HOME}/.config/systemd/user/buildkit.service`]: `${OWNED_MARKER}\n[Service]\nExecStart=/x nsenter -- buildkitd --oci-worker=true\n`,
      "/run/user/1000/containerd-rootless/netns": "",
    });
    const plan = await planAddons(host, paths, ["buildkit"], "install");
    const backup = plan.steps.find((s) => s.kind === "write" && s.content === toml) as Extract<Step, { kind: "write" }>;
    expect(backup.path.startsWith(paths.backupDir)).toBe(true);
    const removeAt = plan.steps.findIndex((s) => s.kind === "remove" && s.path === paths.buildkitConfig);
    expect(removeAt).toBeGreaterThan(plan.steps.indexOf(backup));
    const said = plan.warnings.join("\n");
    expect(said).toContain('    networkMode = "host"');
    expect(said).toContain(`is moved to ${backup.path} (not deleted) once you confirm this plan (or with --yes)`);
  });
});

describe("bypass4netns prerequisites", () => {
  const machine = async (kernel: string, runc: string | null, libs: string[]) => {
    const files: Record<string, string> = { "/proc/sys/kernel/osrelease": `${kernel}\n` };
    for (const l of libs) files[`/usr/lib/x86_64-linux-gnu/${l}`] = "";
    host = await makeTestHost({ files, commands: runc ? { runc: () => ok(runc) } : {} });
    return (await bypass4netnsPrerequisites(host)).map((f) => `${f.id}: ${f.message} | ${f.fix}`);
  };

  test("kernel 5.4, runc 1.0, libseccomp 2.4: three findings, each with its fix", async () => {
    const found = await machine("5.4.0-150-generic", "runc version 1.0.3\nspec: 1.0.2-dev\nlibseccomp: 2.4.3\n", []);
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^bypass4netns\.kernel: .*kernel >= 5\.9.*5\.4\.0-150-generic\. \| Boot a kernel 5\.9 or later/);
    expect(found[1]).toMatch(/^bypass4netns\.runtime: .*runc >= 1\.1 or crun >= 1\.6; found runc 1\.0\.3\. \| Install runc 1\.1 or later/);
    expect(found[2]).toMatch(/^bypass4netns\.libseccomp: .*libseccomp >= 2\.5; found 2\.4\.3\. \| Install libseccomp 2\.5 or later/);
  });

  test("Debian 12 (kernel 6.1, runc 1.1.5 with libseccomp 2.5.4): nothing to fix; no runc but the library file: runtime only", async () => {
    expect(await machine("6.1.0-18-amd64", "runc version 1.1.5+ds1\nlibseccomp: 2.5.4\n", [])).toEqual([]);
    const noRunc = await machine("6.1.0-18-amd64", null, ["libseccomp.so.2", "libseccomp.so.2.5.4"]);
    expect(noRunc).toHaveLength(1);
    expect(noRunc[0]).toContain("found neither runc nor crun");
  });
});
