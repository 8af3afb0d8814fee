// Add-on programs where they really are, on the compiled binary with the real systemd user
// manager: BuildKit's bridge networking gets the CNI plugins this machine has (the stand-in
// buildkitd, like BuildKit v0.26.3, exits at once without them), buildkit-cni-* beside buildkitd
// need no flag, a program in ~/.local/bin is found whatever the caller's PATH, and a daemon that
// exits at once is explained with what it printed although this machine has no journald.
// buildkitd here is the v0.26.3 stand-in (test/fixtures/buildkitd-standin): no registry ships BuildKit.
// It answers ListWorkers only, so these installs skip verify's build (--no-verify): what verify says
// of BuildKit is test/e2e/verify.test.ts's.
import { test, expect, describe } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, chownSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { SANDBOX_PATH } from "../../scripts/sandbox.ts";
import { BUILDKITD_STANDIN, buildGoFixture } from "../../scripts/go-fixtures.ts";
import { useSandbox } from "../helpers/e2e.ts";
import { BUILDKIT_CNI_PLUGINS as PLUGINS } from "../helpers/addon-daemons.ts";

let standin = "";
const e2e = useSandbox("crsprog-e2e", {
  cliTimeoutMs: 120_000,
  setupTimeoutMs: 240_000,
  setup: async (e) => {
    standin = await buildGoFixture(BUILDKITD_STANDIN);
    e.mustRun(["install", "--yes"]);
  },
});
const unitFile = (unit = "buildkit.service") => `${e2e.sb.home}/.config/systemd/user/${unit}`;
/** Where this machine has BuildKit's four CNI plugins (Debian's containernetworking-plugins: /usr/lib/cni). */
const cniDir = () => ["/usr/lib/cni", "/opt/cni/bin"].find((d) => PLUGINS.every((p) => existsSync(join(d, p))));

/** A directory of the user's with the buildkitd stand-in, and the links given. */
function userDir(name: string, links: Record<string, string> = {}): string {
  const dir = join(e2e.sb.home, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(standin, join(dir, "buildkitd"));
  chmodSync(join(dir, "buildkitd"), 0o755);
  for (const [f, target] of Object.entries(links)) if (!existsSync(join(dir, f))) symlinkSync(target, join(dir, f));
  expect(Bun.spawnSync(["chown", "-hR", `${e2e.sb.user}:`, dir]).exitCode).toBe(0);
  return dir;
}
const run = (path: string, ...args: string[]) => e2e.run(args, { env: { PATH: path } });

describe("BuildKit's CNI plugins", () => {
  test("bridge networking with the machine's CNI plugins: their directory is passed, and buildkitd starts and answers", () => {
    const dir = cniDir();
    expect(dir).toBeDefined(); // the test packages include containernetworking-plugins
    const only = userDir("buildkit-alone"); // buildkitd without buildkit-cni-* beside it, as a distribution would put it
    const r = run(`${only}:${SANDBOX_PATH}`, "install", "buildkit", "--yes", "--no-verify");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(unitFile(), "utf8")).toContain(`--oci-worker-net=bridge --oci-cni-binary-dir=${dir} `);
    expect(e2e.show("buildkit.service", "ActiveState")).toBe("active");
    expect(run(`${only}:${SANDBOX_PATH}`, "uninstall", "buildkit", "--yes").code).toBe(0);
  });

  test("upstream's buildkit-cni-* beside buildkitd: no directory flag, buildkitd finds them on its PATH", () => {
    const dir = cniDir()!;
    const tarball = userDir("buildkit-release", Object.fromEntries(PLUGINS.map((p) => [`buildkit-cni-${p}`, join(dir, p)])));
    const r = run(`${tarball}:${SANDBOX_PATH}`, "install", "buildkit", "--worker=containerd", "--namespace=default", "--yes", "--no-verify");
    expect(r.code).toBe(0);
    const unit = readFileSync(unitFile("default-buildkit.service"), "utf8");
    expect(unit).toContain(`-- ${tarball}/buildkitd --oci-worker=false --containerd-worker=true --containerd-worker-rootless=true --containerd-worker-net=bridge --addr=`);
    expect(unit).toMatch(new RegExp(`^Environment=PATH=${tarball}:`, "m"));
    expect(run(`${tarball}:${SANDBOX_PATH}`, "uninstall", "buildkit", "--yes").code).toBe(0);
  });
});

describe("add-on programs where this tool puts them", () => {
  test("buildkitd in ~/.local/bin, a PATH without it (a fresh account, su -): available, installed, run from there", () => {
    const bin = join(e2e.sb.home, ".local/bin");
    userDir(".local/bin");
    const listed = JSON.parse(run(SANDBOX_PATH, "plugins", "--json").stdout).plugins.find((p: { id: string }) => p.id === "buildkit");
    expect(listed).toMatchObject({ available: true });
    const r = run(SANDBOX_PATH, "install", "buildkit", "--yes", "--no-verify");
    expect(r.code).toBe(0);
    expect(readFileSync(unitFile(), "utf8")).toContain(`nsenter --wait=60 -- ${bin}/buildkitd --oci-worker=true`);
    expect(e2e.show("buildkit.service", "ActiveState")).toBe("active");
    expect(run(SANDBOX_PATH, "uninstall", "buildkit", "--yes").code).toBe(0);
    rmSync(join(bin, "buildkitd"));
  });
});

describe("no journald", () => {
  test("a daemon that exits at once: the failure shows what it printed, from the unit's own log", () => {
    const dir = join(e2e.sb.home, "broken");
    mkdirSync(dir, { recursive: true });
    const script = `#!/bin/sh\ncase "$1" in --version) echo "buildkitd github.com/moby/buildkit v0.26.3 broken";; --help) echo "--oci-worker-net value (auto, cni, host, bridge)";; *) echo "buildkitd: failed to load the configuration: broken on purpose" >&2; exit 1;; esac\n`;
    writeFileSync(join(dir, "buildkitd"), script);
    chmodSync(join(dir, "buildkitd"), 0o755);
    chownSync(dir, e2e.sb.uid, e2e.sb.gid);
    chownSync(join(dir, "buildkitd"), e2e.sb.uid, e2e.sb.gid);
    const r = run(`${dir}:${SANDBOX_PATH}`, "install", "buildkit", "--yes");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("journalctl --user -u buildkit.service: no entries (journald is not running); the unit's last output");
    expect(r.stderr).toContain("    buildkitd: failed to load the configuration: broken on purpose");
    expect(r.stderr).toContain("Undone:");
    expect(existsSync(unitFile())).toBe(false);
  });
});
