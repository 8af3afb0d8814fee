// "Running" means containerd's API answered, on the compiled binary with the real systemd user
// manager, RootlessKit and containerd. First the gRPC client itself against real servers: the
// user's containerd (grpc-go, which indexes and Huffman-codes what it sends), the stargz
// snapshotter built from Debian's library, and the BuildKit stand-in (grpc-go; a gRPC server on
// BuildKit's socket that is not BuildKit passed the old probe) — a method they serve is OK, an
// unknown one UNIMPLEMENTED in the server's own words, and the snapshot call through containerd
// that proves a snapshotter reachable leaves no record behind. Then the paths that say "running":
// status and install without `ctr` on PATH, and install's no-change path, which a stale socket
// file, a listener that is not containerd, or a RootlessKit pid that lives on must not fool.
import { test, expect, describe, afterAll } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, mkdirSync, chownSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { useSandbox } from "../helpers/e2e.ts";
import { Host } from "../../src/core/os/host.ts";
import { grpcCall } from "../../src/core/os/grpc.ts";
import { decodeStrings, encodeMessage } from "../../src/core/os/protobuf-wire.ts";
import { BUILDKITD_STANDIN, STARGZ_DAEMON, buildGoFixture } from "../../scripts/go-fixtures.ts";
import { waitFor } from "../../scripts/sandbox.ts";

// installed with the PATH every run here uses (one without ctr), so the unit stays the same
const e2e = useSandbox("crsrun-e2e", { cliTimeoutMs: 90_000, setup: (e) => void e.mustRun(["install", "--yes"], { env: { PATH: pathWithoutCtr(e.sb) } }) });
const host = new Host();
const socket = () => `${e2e.sb.runtimeDir}/containerd/containerd.sock`;
const stateDir = () => `${e2e.sb.runtimeDir}/containerd-rootless`;
/** containerd's version as the installed containerd prints it (the third word of `containerd --version`, the distribution's suffix included) */
const installedVersion = () => Bun.spawnSync(["containerd", "--version"]).stdout.toString().split(/\s+/)[2]!;

/** A PATH without ctr: every program of /usr/bin but ctr, linked into ~/noctr, and the sbin dirs (not /bin: merged /usr). */
function pathWithoutCtr(sb: { home: string; uid: number; gid: number }): string {
  const dir = join(sb.home, "noctr");
  if (!existsSync(dir)) {
    mkdirSync(dir);
    for (const name of readdirSync("/usr/bin")) if (name !== "ctr") symlinkSync(join("/usr/bin", name), join(dir, name));
    chownSync(dir, sb.uid, sb.gid);
  }
  return `${dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin`;
}
const cliNoCtr = (...args: string[]) => e2e.run(args, { env: { PATH: pathWithoutCtr(e2e.sb) } });

const version = () => grpcCall(host, socket(), "/containerd.services.version.v1.Version/Version");
/** A process of the user that lives on (its pid stands for one reused after RootlessKit's child died). */
const livePid = () => Number(e2e.sb.run(["sh", "-c", "sleep 600 >/dev/null 2>&1 & echo $!"]).stdout.trim());

/** containerd stopped, leaving what the test puts where its socket and RootlessKit's child_pid were. */
function stopContainerd(childPid: number) {
  expect(e2e.sb.systemctl("stop", "containerd.service").code).toBe(0);
  expect(e2e.sb.run(["mkdir", "-p", stateDir(), `${e2e.sb.runtimeDir}/containerd`]).code).toBe(0);
  expect(e2e.sb.run(["sh", "-c", `echo ${childPid} > ${stateDir()}/child_pid`]).code).toBe(0);
}
/** A socket file nobody listens on any more (bound by a process that then exited). */
const bindAnew = () => `import socket, os\np = ${JSON.stringify(socket())}\nos.path.exists(p) and os.unlink(p)\ns = socket.socket(socket.AF_UNIX)\ns.bind(p)\n`;
const staleSocket = () => expect(e2e.sb.run(["python3", "-c", bindAnew()]).code).toBe(0);

describe("the gRPC client against real servers", () => {
  test("containerd: Version is OK with its version; an unknown service or method is UNIMPLEMENTED in grpc-go's words", async () => {
    const ok = await version();
    expect(ok).toMatchObject({ answered: true, status: 0, message: "" });
    expect(decodeStrings((ok as { body: Uint8Array }).body)?.[1]).toBe(installedVersion());
    expect(await grpcCall(host, socket(), "/no.such.Service/Method")).toMatchObject({ answered: true, status: 12, message: "unknown service no.such.Service" });
    expect(await grpcCall(host, socket(), "/containerd.services.version.v1.Version/Nope")).toMatchObject({ answered: true, status: 12, message: "unknown method Nope for service containerd.services.version.v1.Version" });
  });

  test("a snapshot Prepare through containerd under a lease that does not exist: NotFound after the snapshotter served it, and no record is left", async () => {
    const prepare = (snapshotter: string) =>
      grpcCall(host, socket(), "/containerd.services.snapshots.v1.Snapshots/Prepare", { message: encodeMessage({ 1: snapshotter, 2: "crs-e2e-probe" }), metadata: { "containerd-namespace": "default", "containerd-lease": "crs-e2e-no-such-lease" }, timeoutMs: 5000 });
    expect(await prepare("overlayfs")).toMatchObject({ answered: true, status: 5, message: "lease does not exist: not found" });
    // containerd removed the snapshot it had the snapshotter create (its directory goes at the
    // snapshotter's Cleanup: the add-ons' probe asks the daemon for it, test/e2e/snapshotters.test.ts)
    const listed = e2e.run(["nsenter", "--", "ctr", "-n", "default", "snapshots", "--snapshotter", "overlayfs", "ls"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain("crs-e2e-probe");
    // a snapshotter containerd does not know: an error of its own, not the lease's NotFound
    const unknown = await prepare("no-such-snapshotter");
    expect(unknown.answered && [unknown.status, unknown.message]).toEqual([3, expect.stringContaining("no-such-snapshotter")]);
  });

  describe("the stargz snapshotter and the BuildKit stand-in, grpc-go servers run here by root", () => {
    const dir = mkdtempSync(join(tmpdir(), "crs-grpc-"));
    const daemons: ReturnType<typeof Bun.spawn>[] = [];
    afterAll(() => {
      for (const d of daemons) d.kill();
      rmSync(dir, { recursive: true, force: true });
    });
    const serve = async (argv: string[], sock: string) => {
      daemons.push(Bun.spawn(argv, { stdout: "ignore", stderr: "ignore", env: { ...process.env, XDG_RUNTIME_DIR: dir } }));
      await waitFor(`${argv[0]} on ${sock}`, async () => (await grpcCall(host, sock, "/x.Y/Z")).answered, 60_000, 100);
    };

    test("stargz: Stat of a snapshot that does not exist is NotFound; an unknown method UNIMPLEMENTED", async () => {
      const sock = join(dir, "stargz.sock");
      await serve([await buildGoFixture(STARGZ_DAEMON), "-address", sock, "-root", join(dir, "stargz")], sock);
      expect(await grpcCall(host, sock, "/containerd.services.snapshots.v1.Snapshots/Stat", { message: encodeMessage({ 2: "no-such-snapshot" }) })).toMatchObject({ answered: true, status: 5 });
      expect(await grpcCall(host, sock, "/containerd.services.snapshots.v1.Snapshots/Nope")).toMatchObject({ answered: true, status: 12, message: "unknown method Nope for service containerd.services.snapshots.v1.Snapshots" });
    }, 300_000);

    test("BuildKit's ListWorkers is OK; another service on its socket is UNIMPLEMENTED, in its words", async () => {
      const sock = join(dir, "buildkitd.sock");
      await serve([await buildGoFixture(BUILDKITD_STANDIN), `--addr=unix://${sock}`, `--root=${join(dir, "buildkit")}`, "--oci-worker=true", "--containerd-worker=false"], sock);
      expect(await grpcCall(host, sock, "/moby.buildkit.v1.Control/ListWorkers")).toMatchObject({ answered: true, status: 0 });
      expect(await grpcCall(host, sock, "/no.such.Service/Method")).toMatchObject({ answered: true, status: 12, message: "unknown service no.such.Service" });
    }, 300_000);
  });
});

describe("running means containerd answered", () => {
  test("status reads containerd's version from its API, without ctr on PATH", () => {
    const r = cliNoCtr("status", "--json");
    expect(r.code).toBe(0);
    const containerd = JSON.parse(r.stdout).containerd;
    expect(containerd).toMatchObject({ answering: true, server: installedVersion() });
  });

  test("a stale socket file and a RootlessKit pid that lives on: install starts containerd instead of saying nothing changed", async () => {
    stopContainerd(livePid());
    staleSocket();
    const r = cliNoCtr("install", "--yes");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("nothing changed");
    expect(r.stdout).toContain("Start containerd.service");
    expect(r.stdout).toMatch(/The containerd API answered after \d+\.\d\d s/);
    // done means answering: at once, no wait
    expect(await version()).toMatchObject({ answered: true, status: 0 });
  });

  test("a listener on containerd's socket that is not containerd: install starts containerd", async () => {
    stopContainerd(livePid());
    // accepts and closes every connection, in the background (its output away from the runner's pipes)
    const code = `${bindAnew()}s.listen()\nwhile True: s.accept()[0].close()\n`;
    expect(e2e.sb.run(["sh", "-c", 'python3 -c "$0" </dev/null >/dev/null 2>&1 &', code]).code).toBe(0);
    await waitFor("the listener", () => Bun.spawnSync(["python3", "-c", `import socket; socket.socket(socket.AF_UNIX).connect(${JSON.stringify(socket())})`]).exitCode === 0);
    const r = cliNoCtr("install", "--yes");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("nothing changed");
    expect(r.stdout).toContain("Start containerd.service");
    expect(await version()).toMatchObject({ answered: true, status: 0 });
  });

  test("without ctr on PATH, the wait after the start is not satisfied by a socket file left behind", async () => {
    stopContainerd(999_999_999); // no such process: the no-change path is out, the start and its wait run
    staleSocket();
    const r = cliNoCtr("install", "--yes");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Start containerd.service");
    expect(await version()).toMatchObject({ answered: true, status: 0 });
    // and with nothing to change, it says so: containerd answers
    expect(cliNoCtr("install", "--yes").stdout).toContain("is installed, enabled and running; nothing changed.");
  });
});
