// The installer fetching the nerdctl-full bundle for real: the COMPILED binary in a real
// terminal (tmux, 80x24) as a throwaway user with a real `systemd --user`. On the choose
// screen the bundle says "size unknown" (the release server cannot be reached: the size is
// asked through a loopback proxy nobody listens on, so nothing leaves the machine); the
// settings take a mirror URL, its checksum and plain HTTP; a bad checksum is refused as typed;
// the apply screen shows the download's bar (bytes, total, rate, ETA) while a local server
// sends the bundle slowly; then containerd's own plan runs from the bundle.
import { test, expect, afterAll, describe } from "bun:test";
import { chmodSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exeOf, sandboxUser, useSandbox } from "../helpers/e2e.ts";
import { spawnSlowServer, type SlowServer } from "../helpers/slow-server.ts";
import { writeBundle } from "../helpers/tarball.ts";
import { Terminal } from "../ui/tmux.ts";
import { machine } from "../helpers/machine.ts";
import { DEFAULT_VERSION } from "../../src/core/components/release.ts";

const USER = sandboxUser("crsuic-e2e");
let term: Terminal | null = null;
let dir = "";
let server: SlowServer | null = null;
let bundle: { name: string; sha256: string };
// registered before useSandbox's teardown, so the installer is gone before its user is
afterAll(() => {
  term?.kill();
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const e2e = useSandbox("crsuic-e2e", {
  setupTimeoutMs: 180_000,
  setup: async () => {
    dir = mkdtempSync(join(tmpdir(), "crs-ui-bundles-e2e-"));
    chmodSync(dir, 0o755);
    bundle = writeBundle(dir, { version: "1.0.0" }); // the Debian programs: about 40 MB
    server = await spawnSlowServer(dir, 8_000_000); // about 5 s: the bar is seen several times
  },
});

/** A port on 127.0.0.1 nobody listens on. */
function closedPort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

function start(): Terminal {
  const env: Record<string, string> = { ...e2e.sb.baseEnv(), TERM: "xterm-256color", HTTPS_PROXY: `http://127.0.0.1:${closedPort()}` };
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  term = Terminal.start(USER, ["runuser", "-u", e2e.sb.user, "--", "env", "-i", ...vars, "sh", "-c", `cd ~ && exec ${e2e.bin}`], { cols: 80, rows: 24 });
  return term;
}

/** Presses a key and waits for what it leads to (a screen takes keys from its first frame: one press). */
async function pressThen(t: Terminal, key: string, what: RegExp | string): Promise<string> {
  t.keys(key);
  return t.waitFor(what, 30_000);
}

/** The download row: "  ███░░░ 12.0 MB / 42.2 MB (28%) · 7.9 MB/s · ETA 4 s". */
const BAR = /^ +(█*░*) (\d+\.\d) MB \/ (\d+\.\d) MB \((\d+)%\) · \d+\.\d MB\/s · ETA \d+ s$/m;

describe("interactive installer: containerd from the nerdctl-full bundle", () => {
  test("choose the bundle, give a mirror and its checksum, watch the download's bar, then containerd runs from the bundle", async () => {
    const t = start();
    await t.waitFor(`RootlessKit   ${machine().rootlesskit.version}`, 20_000);
    t.keys("Enter");
    await t.waitFor("Requirements are satisfied.", 30_000);
    t.keys("Enter");
    // the size cannot be asked here: said so, and the screen did not wait for it
    let s = await t.waitFor(`( ) fetch nerdctl-full v${DEFAULT_VERSION} (size unknown)`, 20_000);
    expect(s).toContain("(•) use the distribution's");
    s = await pressThen(t, "c", `(•) fetch nerdctl-full v${DEFAULT_VERSION}`);
    s = await pressThen(t, "Enter", /nerdctl-full version \(--version\)/);
    expect(s).toContain("From: URL or file (--from)");
    // the source: a mirror on this machine (plain http), its checksum
    s = await pressThen(t, "Down", /› From: URL or file/);
    const url = `${server!.url}/${bundle.name}`;
    t.type(url);
    s = await t.waitFor("refusing plain HTTP");
    t.keys("Down");
    await t.waitFor("› SHA-256");
    t.type("not-a-checksum");
    await t.waitFor("is not a SHA-256 (64 hex digits)");
    t.keys("Enter"); // refused while invalid: still the settings
    for (let i = 0; i < "not-a-checksum".length; i++) t.keys("BSpace");
    await t.waitFor((x) => !x.includes("is not a SHA-256"));
    t.type(bundle.sha256);
    t.keys("Down");
    await t.waitFor("› Allow plain HTTP");
    t.keys("Right");
    s = await t.waitFor((x) => x.includes("‹ true ›") && !x.includes("refusing plain HTTP"));
    t.keys("Enter");
    // the review: the fetch from the mirror, checked against the given checksum
    s = await t.waitFor("Enter apply", 30_000);
    expect(s).toContain("Fetch nerdctl-full 1.0.0 (containerd next): 1 step.");
    expect(s.replace(/\s+/g, " ")).toContain("checked against the SHA-256 you gave");
    t.keys("Enter");
    // the download's bar: seen at least twice, growing
    const first = BAR.exec(await t.waitFor(BAR, 30_000))!;
    const total = Number(first[3]);
    expect(total).toBeGreaterThan(10);
    const later = (x: string) => {
      const m = BAR.exec(x);
      return m !== null && Number(m[4]) > Number(first[4]);
    };
    const second = BAR.exec(await t.waitFor(later, 30_000))!;
    expect(Number(second[2])).toBeGreaterThan(Number(first[2]));
    expect(second[3]).toBe(first[3]!);
    const filled = (bar: string) => [...bar].filter((c) => c === "█").length;
    expect(filled(second[1]!)).toBeGreaterThanOrEqual(filled(first[1]!));
    expect(second[1]!.length).toBe(first[1]!.length); // the same bar, more of it filled
    // fetched and active: containerd's own plan is reviewed next
    s = await t.waitFor((x) => x.includes("Install containerd") && x.includes("Enter apply"), 120_000);
    expect(readlinkSync(`${e2e.sb.home}/.local/share/containerd-rootless-systemd/components/current`)).toBe("1.0.0");
    t.keys("Enter");
    await t.waitFor("Done: ", 90_000);
    t.keys("Enter");
    expect(await t.exited(30_000)).toBe(0);
    // the service runs the bundle's containerd
    const exes = e2e.sb.pids().map(exeOf);
    expect(exes).toContain(`${e2e.sb.home}/.local/share/containerd-rootless-systemd/components/1.0.0/bin/containerd`);
    expect(e2e.run(["nsenter", "--", "ctr", "version"]).code).toBe(0);
  }, 300_000);
});
