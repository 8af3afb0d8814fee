// self-update with the released binary (its build carries the test release key) against a
// local HTTP server serving a newer release: the good update replaces the running binary and
// the ~/.local/bin copy and keeps both as .old; --rollback restores them; a bad signature, a
// key that is not the built-in one and a bad checksum change nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NAME, NEXT_VERSION, VERSION, serveDir, testRelease, unpack, type TestRelease } from "../helpers/release.ts";

let rel: TestRelease;
let tmp: string;
let pristine: string;
let home: string;
let running: string;
let copy: string;

beforeAll(() => {
  rel = testRelease();
  tmp = mkdtempSync(join(tmpdir(), "crs-self-update-"));
  pristine = unpack(join(rel.dir, `${NAME}-linux-x64.gz`), join(tmp, "pristine"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeEach(() => {
  // a binary run from /opt-like place, and the copy install made in ~/.local/bin
  home = mkdtempSync(join(tmp, "home-"));
  running = join(home, "opt", NAME);
  copy = join(home, ".local/bin", NAME);
  for (const f of [running, copy]) {
    mkdirSync(join(f, ".."), { recursive: true });
    copyFileSync(pristine, f);
  }
});

/** Runs the binary without blocking this process: the test's HTTP server lives here too. */
async function run(bin: string, args: string[]) {
  const p = Bun.spawn([bin, ...args], { env: { PATH: process.env.PATH!, HOME: home, XDG_RUNTIME_DIR: home }, cwd: home, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}
const version = async (bin: string) => (await run(bin, ["--version"])).out.trim();
const digest = (f: string) => Bun.hash(readFileSync(f));

describe("self-update", () => {
  test("--check names the newer release and changes nothing", async () => {
    const server = serveDir(rel.next);
    try {
      const r = await run(running, ["self-update", "--check", "--json", "--from", server.url]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ changed: false, current: VERSION, available: NEXT_VERSION, updateAvailable: true });
      expect(server.requests).toEqual(["SHA256SUMS", "SHA256SUMS.minisig"]);
      expect(digest(running)).toBe(digest(pristine));
    } finally {
      server.stop();
    }
  });

  test("a good update replaces the running binary and the ~/.local/bin copy, keeps both as .old; --rollback restores them", async () => {
    const server = serveDir(rel.next);
    try {
      const r = await run(running, ["self-update", "--yes", "--json", "--from", server.url]);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.out);
      expect(doc).toMatchObject({ changed: true, current: VERSION, available: NEXT_VERSION, restart: "no-service" });
      expect(doc.replaced.sort()).toEqual([copy, running].sort());
      expect(await version(running)).toBe(NEXT_VERSION);
      expect(await version(copy)).toBe(NEXT_VERSION);
      expect(await version(`${running}.old`)).toBe(VERSION);
      expect(await version(`${copy}.old`)).toBe(VERSION);
      // no temporary files left beside them
      expect(Bun.spawnSync(["sh", "-c", `ls -a "${join(home, "opt")}" "${join(home, ".local/bin")}" | grep -c '\\.new' || true`]).stdout.toString().trim()).toBe("0");
    } finally {
      server.stop();
    }
    const back = await run(running, ["self-update", "--rollback", "--json"]);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.out).restored.sort()).toEqual([copy, running].sort());
    expect(await version(running)).toBe(VERSION);
    expect(await version(copy)).toBe(VERSION);
    expect(existsSync(`${running}.old`)).toBe(false);
    // nothing left to roll back to
    const again = await run(running, ["self-update", "--rollback"]);
    expect(again.code).toBe(1);
    expect(again.err).toContain("no previous version");
  });

  test("from a local release directory too", async () => {
    const r = await run(running, ["self-update", "--yes", "--from", rel.next]);
    expect(r.code).toBe(0);
    expect(await version(running)).toBe(NEXT_VERSION);
  });

  test("an unreachable release server: a clear error, nothing changed", async () => {
    const server = serveDir(rel.next);
    const url = server.url;
    server.stop(); // nothing listens on that port any more
    const r = await run(running, ["self-update", "--yes", "--from", url]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`[ERROR] cannot download ${url}/SHA256SUMS`);
    expect(r.err).toContain("Nothing was changed.");
    expect(r.err).not.toContain("unexpected failure");
    expect(digest(running)).toBe(digest(pristine));
  });

  const refused = (name: string, override: () => Record<string, Uint8Array | string>, message: string) =>
    test(name, async () => {
      const server = serveDir(rel.next, override());
      try {
        const r = await run(running, ["self-update", "--yes", "--from", server.url]);
        expect(r.code).toBe(1);
        expect(r.err).toContain(message);
        expect(r.err).toContain("Nothing was changed.");
        expect(digest(running)).toBe(digest(pristine));
        expect(digest(copy)).toBe(digest(pristine));
        expect(existsSync(`${running}.old`)).toBe(false);
      } finally {
        server.stop();
      }
    });

  refused("a bad signature (SHA256SUMS changed after signing) changes nothing", () => ({ SHA256SUMS: readFileSync(join(rel.next, "SHA256SUMS"), "utf8").replace(/^[0-9a-f]/, (c) => (c === "0" ? "1" : "0")) }), "failed its signature check");

  refused(
    "a release signed by another key changes nothing",
    () => {
      const dir = mkdtempSync(join(tmp, "other-key-"));
      Bun.spawnSync(["minisign", "-G", "-W", "-p", join(dir, "o.pub"), "-s", join(dir, "o.key")]);
      Bun.spawnSync(["minisign", "-S", "-s", join(dir, "o.key"), "-m", join(rel.next, "SHA256SUMS"), "-x", join(dir, "sig"), "-t", `${NAME} ${NEXT_VERSION}`]);
      return { "SHA256SUMS.minisig": readFileSync(join(dir, "sig")) };
    },
    "this build trusts key",
  );

  refused(
    "a bad checksum (the binary changed, SHA256SUMS intact) changes nothing",
    () => {
      const gz = Uint8Array.from(readFileSync(join(rel.next, `${NAME}-linux-x64.gz`)));
      gz[gz.length >> 1] ^= 0xff;
      return { [`${NAME}-linux-x64.gz`]: gz };
    },
    "checksum mismatch",
  );
});
