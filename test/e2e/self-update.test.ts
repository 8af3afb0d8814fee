// self-update with the released binary (its build carries the test release key) against a
// local HTTP server serving a newer release: the good update replaces the running binary and
// the ~/.local/bin copy and keeps both as .old; --rollback restores them; a bad signature, a
// missing or garbled .minisig, a key that is not the built-in one, a bad checksum and a new
// binary that does not run change nothing. It never goes backwards: an older release is not
// an update (nor reported as one by --check) unless --version names it, and then it says so.
// The default build trusts the committed containerd-rootless-systemd.pub, and a published
// release can build in no other key.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NAME, NEXT_VERSION, VERSION, serveDir, testRelease, unpack, type TestRelease } from "../helpers/release.ts";
import { BINARY, ROOT } from "../helpers/e2e.ts";
import { parsePublicKey } from "../../src/core/release/minisign.ts";

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

  const refused = (name: string, override: () => Record<string, Uint8Array | string | null>, message: string) =>
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

  refused("a release without SHA256SUMS.minisig changes nothing", () => ({ "SHA256SUMS.minisig": null }), "has no SHA256SUMS.minisig; it is not a release");

  refused("a garbled SHA256SUMS.minisig changes nothing", () => ({ "SHA256SUMS.minisig": "untrusted comment: x\nnot base64 at all\n" }), "not a minisign signature file");

  refused(
    "a new binary that does not run here (--version fails): the old one stays",
    () => {
      // a correctly signed release whose binary exits 3 at once: only running it can tell
      const dir = mkdtempSync(join(tmp, "broken-"));
      const gz = Bun.gzipSync(Buffer.from("#!/bin/sh\necho 'this build cannot start' >&2\nexit 3\n"));
      writeFileSync(join(dir, `${NAME}-linux-x64.gz`), gz);
      writeFileSync(join(dir, "SHA256SUMS"), `${new Bun.CryptoHasher("sha256").update(gz).digest("hex")}  ${NAME}-linux-x64.gz\n`);
      const signed = Bun.spawnSync(["minisign", "-S", "-s", rel.secretKey, "-m", join(dir, "SHA256SUMS"), "-t", `${NAME} ${NEXT_VERSION}`]);
      if (signed.exitCode !== 0) throw new Error(signed.stderr.toString());
      return { SHA256SUMS: readFileSync(join(dir, "SHA256SUMS")), "SHA256SUMS.minisig": readFileSync(join(dir, "SHA256SUMS.minisig")), [`${NAME}-linux-x64.gz`]: gz };
    },
    "the new binary does not run here (this build cannot start)",
  );
});

describe("self-update never goes backwards", () => {
  /** The newer release's binary, running, with the older release (this version's) offered to it. */
  const newer = () => {
    for (const f of [running, copy]) unpack(join(rel.next, `${NAME}-linux-x64.gz`), f);
    return digest(running);
  };

  test("--check does not report an older release as available", async () => {
    newer();
    const r = await run(running, ["self-update", "--check", "--json", "--from", rel.dir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ changed: false, current: NEXT_VERSION, available: VERSION, updateAvailable: false, older: true });
  });

  test("an older release is not installed: exit 0, nothing changed, and how to go back on purpose", async () => {
    const before = newer();
    const r = await run(running, ["self-update", "--yes", "--from", rel.dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${NAME} ${NEXT_VERSION} is up to date: ${rel.dir} holds ${VERSION}, which is older; nothing was changed. To go back to it on purpose: \`${NAME} self-update --version ${VERSION} --from ${rel.dir}\``);
    expect(digest(running)).toBe(before);
    expect(existsSync(`${running}.old`)).toBe(false);
  });

  test("--version naming the older release installs it, and says it is going back", async () => {
    newer();
    const r = await run(running, ["self-update", "--yes", "--json", "--from", rel.dir, "--version", VERSION]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`Going back from ${NEXT_VERSION} to the older ${VERSION}, because --version ${VERSION} names it.`);
    expect(JSON.parse(r.out)).toMatchObject({ changed: true, current: NEXT_VERSION, available: VERSION, updateAvailable: false, older: true });
    expect(await version(running)).toBe(VERSION);
    expect(await version(`${running}.old`)).toBe(NEXT_VERSION);
  });
});

describe("the release key", () => {
  const committed = readFileSync(join(ROOT, `${NAME}.pub`), "utf8");

  test("the default build trusts exactly the committed containerd-rootless-systemd.pub", async () => {
    // a release signed by another key (the tests' own) names the key this build trusts
    const r = await run(BINARY, ["self-update", "--check", "--from", rel.next]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`but this build trusts key ${parsePublicKey(committed).keyId}`);
    expect(committed.split("\n")[0]).toContain("PLACEHOLDER"); // what the README says it is, until the project has its release key
  });

  test("a published release builds in no other key (another one only for a --fast test release)", () => {
    const p = Bun.spawnSync([process.execPath, "scripts/release.ts", "--out", join(tmp, "refused")], { cwd: ROOT, env: { ...process.env, CRS_MINISIGN_SECRET_KEY: rel.secretKey, CRS_MINISIGN_PUBLIC_KEY: rel.publicKey } });
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toContain(`${rel.publicKey} is not the release key committed as ${join(ROOT, `${NAME}.pub`)}`);
    expect(existsSync(join(tmp, "refused"))).toBe(false);
  });
});
