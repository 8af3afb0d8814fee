// Fetching, verifying and unpacking bundles against a real HTTP server on 127.0.0.1: the
// good paths, a pinned version checked against its pin whatever it is called, and every bad
// input leaving ~/.local and ~/.config exactly as they were.
import { afterAll, beforeAll, beforeEach, afterEach, expect, test, describe } from "bun:test";
import { mkdtempSync, mkdirSync, copyFileSync, rmSync, writeFileSync, readlinkSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { startBundleServer, type BundleServer } from "../helpers/bundle-server.ts";
import { makeTarGz, sha256, writeBundle, bundleEntries, type Entry } from "../helpers/tarball.ts";
import { snapshotTree } from "../helpers/tree-snapshot.ts";
import { provision, type BundleRequest } from "../../src/core/components/provision.ts";
import { bundleArch, DEFAULT_VERSION, PINNED } from "../../src/core/components/release.ts";
import { activate, activeVersion } from "../../src/core/components/store.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { UserError } from "../../src/core/os/errors.ts";

let dir: string;
let server: BundleServer;
let good: { name: string; sha256: string };
let host: TestHost;

/** A tarball at /bundles/<name> on the test host: the bundle plus `extra` entries, with --sha256 set to its digest. */
function local(name: string, extra: Entry[], raw?: Uint8Array): BundleRequest {
  const gz = raw ?? makeTarGz([...bundleEntries({ version: "9.9.9", tiny: true }), ...extra]);
  mkdirSync(join(host.root, "bundles"), { recursive: true });
  writeFileSync(join(host.root, "bundles", name), gz);
  return { from: `/bundles/${name}`, sha256: sha256(gz) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "crs-bundles-"));
  good = writeBundle(dir, { version: "1.2.3", tiny: true });
  server = startBundleServer(dir);
});
afterAll(() => {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  host = await makeTestHost({ files: { "/home/alice/.config/containerd/config.toml": "version = 2\n", "/home/alice/.local/bin/other": "x" } });
});
afterEach(() => host.cleanup());

const paths = () => resolvePaths(host.env, host.uid);
const home = () => [join(host.root, "home/alice/.local"), join(host.root, "home/alice/.config")];
const run = (req: BundleRequest) => provision(host, paths(), { insecureHttp: true, retries: 1, stallMs: 400, ...req });

test("a bundle from a URL with --sha256 is unpacked into components/<version> in nerdctl-full's layout, and activates", async () => {
  const r = await run({ from: `${server.url}/files/${good.name}`, sha256: good.sha256 });
  expect(r).toMatchObject({ version: "1.2.3", changed: true, trust: "--sha256", sha256: good.sha256 });
  const root = join(host.root, paths().stateDir, "components/1.2.3");
  expect(statSync(join(root, "bin/containerd")).mode & 0o777).toBe(0o755);
  expect(readlinkSync(join(root, `bin/buildkit-cni-bridge`))).toBe("../libexec/cni/bridge");
  expect(existsSync(join(root, "libexec/cni/bridge"))).toBe(true);
  expect(await activeVersion(host, paths())).toBeNull();
  await activate(host, paths(), "1.2.3");
  expect(await activeVersion(host, paths())).toBe("1.2.3");
  // nothing of the download is left beside it
  expect((await host.readdir(join(paths().stateDir, "components")))!.sort()).toEqual(["1.2.3", "current"]);
  // a second run finds it and changes nothing
  expect((await run({ from: `${server.url}/files/${good.name}`, sha256: good.sha256 })).changed).toBe(false);
});

test("without --sha256 the release's SHA256SUMS beside the tarball is the reference; redirects are followed", async () => {
  const r = await run({ from: `${server.url}/redirect/${good.name}` });
  expect(r.trust).toBe("SHA256SUMS");
  expect(server.hits).toContain("/files/SHA256SUMS");
});

test("a local file (air-gapped) is verified against SHA256SUMS beside it, without copying the tarball", async () => {
  mkdirSync(join(host.root, "media"));
  for (const f of [good.name, "SHA256SUMS"]) copyFileSync(join(dir, f), join(host.root, "media", f));
  const r = await run({ from: `/media/${good.name}` });
  expect(r).toMatchObject({ version: "1.2.3", trust: "SHA256SUMS", changed: true });
});

describe("a pinned version is checked against its pin, whatever its name or source", () => {
  /** The small test bundle under `name` in `sub`, with a SHA256SUMS beside it that agrees: what a mirror (or a copied file) would serve. */
  function mirrored(sub: string, name: string): { sha256: string } {
    const gz = makeTarGz(bundleEntries({ version: "9.9.9", tiny: true }));
    mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, sub, name), gz);
    writeFileSync(join(dir, sub, "SHA256SUMS"), `${sha256(gz)}  ${name}\n`);
    return { sha256: sha256(gz) };
  }
  const pinned = `expected ${PINNED[DEFAULT_VERSION]![bundleArch(process.arch)]} (the SHA-256 built into this binary for this version)`;

  for (const name of ["bundle.tar.gz", `nerdctl-full-${DEFAULT_VERSION}-linux-${bundleArch(process.arch)}.tar.gz`]) {
    test(`a mirror's ${name} with --version ${DEFAULT_VERSION} (its SHA256SUMS agrees): refused against the pin, nothing changed`, async () => {
      mirrored("mirror", name);
      const before = snapshotTree(...home());
      const err = await run({ from: `${server.url}/files/mirror/${name}`, version: DEFAULT_VERSION }).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toContain(pinned);
      expect(err.fix).toContain("--sha256");
      expect(server.hits).not.toContain("/files/mirror/SHA256SUMS"); // the mirror's own list is not even asked
      expect(snapshotTree(...home())).toEqual(before);
    });
  }

  test("a local file of any name with a pinned --version: refused against the pin despite the SHA256SUMS beside it", async () => {
    const { sha256: sum } = mirrored("local", "whatever.tgz");
    mkdirSync(join(host.root, "media"));
    for (const f of ["whatever.tgz", "SHA256SUMS"]) copyFileSync(join(dir, "local", f), join(host.root, "media", f));
    const err = await run({ from: "/media/whatever.tgz", version: DEFAULT_VERSION }).catch((e) => e);
    expect(err.message).toContain(pinned);
    // --sha256 overrides the pin explicitly, and says so
    expect(await run({ from: "/media/whatever.tgz", version: DEFAULT_VERSION, sha256: sum })).toMatchObject({ version: DEFAULT_VERSION, trust: "--sha256", changed: true });
  });

  test("an unpinned version trusts the release's SHA256SUMS, and says so", async () => {
    expect(PINNED["1.2.3"]).toBeUndefined();
    expect(await run({ from: `${server.url}/files/${good.name}` })).toMatchObject({ version: "1.2.3", trust: "SHA256SUMS" });
  });
});

describe("bad input: exit with a clear message and nothing changed under ~/.local and ~/.config", () => {
  const cases: [string, () => BundleRequest, RegExp][] = [
    ["wrong checksum", () => ({ from: `${server.url}/files/${good.name}`, sha256: "0".repeat(64) }), /checksum mismatch.*expected 0{64}.*got [0-9a-f]{64}; nothing was unpacked/],
    ["truncated download", () => ({ from: `${server.url}/truncate/${good.name}`, sha256: good.sha256 }), /download of .* failed after 2 attempts: the transfer .* (broke off|truncated)/],
    ["404", () => ({ from: `${server.url}/404/${good.name}`, sha256: good.sha256 }), /answered HTTP 404/],
    ["500 (retried, then given up)", () => ({ from: `${server.url}/500/${good.name}`, sha256: good.sha256 }), /failed after 2 attempts: .*HTTP 500/],
    ["redirect loop", () => ({ from: `${server.url}/loop/${good.name}`, sha256: good.sha256 }), /too many redirects/],
    ["stalled server", () => ({ from: `${server.url}/stall/${good.name}`, sha256: good.sha256 }), /stalled \(no data for 0.4 s\)/],
    ["plain http without --insecure-http", () => ({ from: `${server.url}/files/${good.name}`, sha256: good.sha256, insecureHttp: false }), /refusing plain HTTP/],
    ["no checksum anywhere", () => ({ from: `${server.url}/files/x/${good.name}` }), /no checksum to verify/],
    ["a ../ entry", () => local("nerdctl-full-9.9.1-linux-amd64.tar.gz", [{ path: "bin/../../escape", content: "x" }]), /entry "bin\/..\/..\/escape" contains `..`/],
    ["an absolute path", () => local("nerdctl-full-9.9.2-linux-amd64.tar.gz", [{ path: "/tmp/escape", content: "x" }]), /has an absolute path/],
    ["a symlink escaping the directory", () => local("nerdctl-full-9.9.3-linux-amd64.tar.gz", [{ path: "bin/evil", type: "symlink", linkpath: "../../../../etc/passwd" }]), /symbolic link to ..\/..\/..\/..\/etc\/passwd, which leaves the bundle/],
    ["a symlink to an absolute path", () => local("nerdctl-full-9.9.4-linux-amd64.tar.gz", [{ path: "bin/sh", type: "symlink", linkpath: "/bin/sh" }]), /symbolic link to \/bin\/sh, outside the bundle/],
    ["a file written through a symlink", () => local("nerdctl-full-9.9.5-linux-amd64.tar.gz", [{ path: "up", type: "symlink", linkpath: "." }, { path: "up/x", content: "x" }]), /written through the symbolic link up/],
    ["a setuid file", () => local("nerdctl-full-9.9.6-linux-amd64.tar.gz", [{ path: "bin/suid", mode: 0o4755, content: "x" }]), /has the setuid bit \(mode 4755\)/],
    ["a device file", () => local("nerdctl-full-9.9.7-linux-amd64.tar.gz", [{ path: "dev/null", type: "char-device" }]), /is a device file/],
    ["a hard link", () => local("nerdctl-full-9.9.8-linux-amd64.tar.gz", [{ path: "bin/h", type: "hardlink", linkpath: "/etc/shadow" }]), /is a hard link/],
    ["newuidmap from a bundle", () => local("nerdctl-full-9.9.9-linux-amd64.tar.gz", [{ path: "bin/newuidmap", mode: 0o755, content: "x" }]), /program that needs root/],
    ["not a tarball", () => local("nerdctl-full-9.8.0-linux-amd64.tar.gz", [], Bun.gzipSync(Buffer.from("hello".repeat(200)))), /not a valid tar.gz/],
  ];
  for (const [name, req, message] of cases) {
    test(name, async () => {
      const before = snapshotTree(...home());
      const err = await run(req()).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toMatch(message);
      expect((err as UserError).fix).toBeTruthy();
      expect(snapshotTree(...home())).toEqual(before);
    });
  }
});
