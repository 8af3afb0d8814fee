// The release artifacts as users get them: built by `npm run release` (test/helpers/release.ts,
// once per source state), unpacked from the compressed downloads, run natively (x64) and
// under qemu-aarch64-static (arm64), and installed by install.sh from a local HTTP server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NAME, VERSION, serveDir, testRelease, unpack, type TestRelease } from "../helpers/release.ts";

let rel: TestRelease;
let tmp: string;
beforeAll(() => {
  rel = testRelease();
  tmp = mkdtempSync(join(tmpdir(), "crs-release-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a program without blocking this process: the test's HTTP server lives here too. */
async function sh(argv: string[], opts: { env?: Record<string, string>; cwd?: string; stdin?: Uint8Array } = {}) {
  const p = Bun.spawn(argv, { env: opts.env ?? { PATH: process.env.PATH! }, cwd: opts.cwd, stdin: opts.stdin ? new Blob([opts.stdin]) : "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

const DOWNLOADS = ["linux-arm64.gz", "linux-arm64.xz", "linux-x64.gz", "linux-x64.xz"].map((s) => `${NAME}-${s}`);

describe("the release directory", () => {
  test("SHA256SUMS covers every download and install.sh, checks with sha256sum -c, and its signature verifies with minisign -V", async () => {
    expect(readdirSync(rel.dir).sort()).toEqual(["SHA256SUMS", "SHA256SUMS.minisig", ...DOWNLOADS, "install.sh"].sort());
    const sums = readFileSync(join(rel.dir, "SHA256SUMS"), "utf8");
    expect(sums.trim().split("\n").map((l) => l.split(/\s+/)[1])).toEqual([...DOWNLOADS, "install.sh"]);
    expect((await sh(["sha256sum", "-c", "SHA256SUMS"], { cwd: rel.dir })).code).toBe(0);
    const v = await sh(["minisign", "-V", "-p", rel.publicKey, "-m", "SHA256SUMS"], { cwd: rel.dir });
    expect(v.code).toBe(0);
    expect(v.out).toContain(`Trusted comment: ${NAME} ${VERSION}`);
    for (const f of readdirSync(rel.dir)) console.log(`${(Bun.file(join(rel.dir, f)).size / 1e6).toFixed(1).padStart(6)} MB  ${f}`);
  });

  test("install.sh carries the checksums of its own release, is one function called on the last line, and never uses sudo", async () => {
    const text = readFileSync(join(rel.dir, "install.sh"), "utf8");
    const sums = readFileSync(join(rel.dir, "SHA256SUMS"), "utf8");
    for (const line of sums.split("\n").filter((l) => l.includes(".gz") || l.includes(".xz"))) expect(text).toContain(line);
    expect(text.trimEnd().split("\n").at(-1)).toBe('crs_install "$@"');
    expect(text.split("\n").filter((l) => !l.trimStart().startsWith("#") && /\bsudo\b/.test(l))).toEqual([]);
    expect((await sh(["sh", "-n", join(rel.dir, "install.sh")])).code).toBe(0);
  });
});

describe.each([
  ["x64", [] as string[]],
  ["arm64", ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"]],
])("the linux-%s binary", (arch, runner) => {
  let bin: string;
  beforeAll(() => {
    bin = unpack(join(rel.dir, `${NAME}-linux-${arch}.xz`), join(tmp, `${NAME}-${arch}`));
    // the .gz holds the same binary
    const gz = unpack(join(rel.dir, `${NAME}-linux-${arch}.gz`), join(tmp, `${NAME}-${arch}-gz`));
    expect(Bun.hash(readFileSync(gz))).toBe(Bun.hash(readFileSync(bin)));
  });

  test("is built for its architecture", async () => {
    const elf = readFileSync(bin).subarray(0, 20);
    expect(elf.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(elf.readUInt16LE(18)).toBe(arch === "x64" ? 62 : 183); // EM_X86_64, EM_AARCH64
  });

  test("--version, --help and check --json run", async () => {
    const home = mkdtempSync(join(tmp, "home-"));
    const env = { PATH: process.env.PATH!, HOME: home };
    const v = await sh([...runner, bin, "--version"], { env });
    expect(v).toMatchObject({ code: 0, out: `${VERSION}\n` });
    const h = await sh([...runner, bin, "--help"], { env });
    expect(h.code).toBe(0);
    expect(h.out).toContain("self-update");
    const c = await sh([...runner, bin, "check", "--json"], { env });
    expect([0, 1]).toContain(c.code); // 1: the checks found problems (this runs as root); either way one JSON document
    const doc = JSON.parse(c.out);
    expect(Array.isArray(doc.findings)).toBe(true);
    expect(doc.findings.length).toBeGreaterThan(0);
  });
});

describe("install.sh from a local server", () => {
  async function runInstaller(url: string, script: Uint8Array, args: string[]) {
    const home = mkdtempSync(join(tmp, "home-"));
    const r = await sh(["sh", "-s", "--", ...args], { env: { PATH: process.env.PATH!, HOME: home, CRS_RELEASE_URL: url }, stdin: script });
    return { ...r, home, installed: join(home, ".local/bin", NAME) };
  }
  const script = () => readFileSync(join(rel.dir, "install.sh"));

  test("downloads, verifies, installs to ~/.local/bin and hands over (`install --help` here)", async () => {
    const server = serveDir(rel.dir);
    try {
      const r = await runInstaller(server.url, script(), ["--help"]);
      expect(r.err).toContain(`Installed ${r.home}/.local/bin/${NAME} (${VERSION})`);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`${NAME} install`); // install's own help: the hand-over ran `install --help`
      expect((await sh([r.installed, "--version"])).out).toBe(`${VERSION}\n`);
      expect(server.requests).toEqual([`${NAME}-linux-x64.xz`]);
    } finally {
      server.stop();
    }
  });

  test("a tampered binary: checksum mismatch, nothing installed", async () => {
    const xz = readFileSync(join(rel.dir, `${NAME}-linux-x64.xz`));
    const bad = Uint8Array.from(xz);
    bad[bad.length >> 1] ^= 0xff;
    const server = serveDir(rel.dir, { [`${NAME}-linux-x64.xz`]: bad });
    try {
      const r = await runInstaller(server.url, script(), ["--help"]);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain("checksum mismatch");
      expect(r.err).toContain("nothing was installed");
      expect(existsSync(r.installed)).toBe(false);
      expect(existsSync(join(r.home, ".local"))).toBe(false);
    } finally {
      server.stop();
    }
  });

  test("a truncated install.sh runs nothing: no download, nothing installed", async () => {
    const server = serveDir(rel.dir);
    try {
      const full = script();
      for (const cut of [0.3, 0.6, 0.95].map((f) => Math.floor(full.length * f))) {
        const r = await runInstaller(server.url, full.subarray(0, cut), ["--help"]);
        expect(r.code).not.toBe(0);
        expect(existsSync(r.installed)).toBe(false);
      }
      // cut just before the call on the last line: the function is defined, never called
      const r = await runInstaller(server.url, full.subarray(0, full.lastIndexOf("crs_install")), ["--help"]);
      expect(existsSync(r.installed)).toBe(false);
      expect(server.requests).toEqual([]);
    } finally {
      server.stop();
    }
  });
});
