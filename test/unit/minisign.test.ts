// minisign verification with node:crypto against signatures made by Debian's minisign:
// prehashed (ED, BLAKE2b-512, the default) and legacy (Ed, -l), a changed file, a changed
// trusted comment, and another key.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePublicKey, verifySignature } from "../../src/core/release/minisign.ts";
import { parseSums } from "../../src/core/release/source.ts";

let dir: string;
const file = () => join(dir, "SHA256SUMS");
function minisign(args: string[]): void {
  const p = Bun.spawnSync(["minisign", ...args], { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`minisign ${args.join(" ")}: ${p.stderr}`);
}
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "crs-minisign-"));
  for (const k of ["a", "b"]) minisign(["-G", "-W", "-p", join(dir, `${k}.pub`), "-s", join(dir, `${k}.key`)]);
  writeFileSync(file(), `${"ab".repeat(32)}  containerd-rootless-systemd-linux-x64.gz\n`);
  minisign(["-S", "-s", join(dir, "a.key"), "-m", file(), "-x", join(dir, "prehashed.sig"), "-t", "containerd-rootless-systemd 1.2.3"]);
  minisign(["-S", "-l", "-s", join(dir, "a.key"), "-m", file(), "-x", join(dir, "legacy.sig"), "-t", "containerd-rootless-systemd 1.2.3"]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = (k: string) => parsePublicKey(readFileSync(join(dir, `${k}.pub`), "utf8"));
const sig = (name: string) => readFileSync(join(dir, name), "utf8");

test("prehashed and legacy signatures verify, and the trusted comment comes back", () => {
  for (const s of ["prehashed.sig", "legacy.sig"]) expect(verifySignature(readFileSync(file()), sig(s), key("a"))).toEqual({ trustedComment: "containerd-rootless-systemd 1.2.3" });
  const alg = (name: string) => Buffer.from(sig(name).split("\n")[1]!, "base64").subarray(0, 2).toString("latin1");
  expect(alg("prehashed.sig")).toBe("ED"); // BLAKE2b-512 prehashed
  expect(alg("legacy.sig")).toBe("Ed");
});

test("a changed file, a changed trusted comment or another key is refused", () => {
  const changed = Buffer.concat([readFileSync(file()), Buffer.from("x")]);
  expect(() => verifySignature(changed, sig("prehashed.sig"), key("a"))).toThrow("does not match the file");
  expect(() => verifySignature(changed, sig("legacy.sig"), key("a"))).toThrow("does not match the file");
  const comment = sig("prehashed.sig").replace("1.2.3", "9.9.9");
  expect(() => verifySignature(readFileSync(file()), comment, key("a"))).toThrow("trusted comment was changed");
  expect(() => verifySignature(readFileSync(file()), sig("prehashed.sig"), key("b"))).toThrow("this build trusts key");
  expect(() => parsePublicKey("not a key")).toThrow("not a minisign public key");
});

test("SHA256SUMS lines as sha256sum writes them (text and binary mode)", () => {
  const sums = parseSums(`${"a".repeat(64)}  one.gz\n${"b".repeat(64)} *two.xz\ngarbage\n${"c".repeat(64)}  ../escape\n`);
  expect([...sums]).toEqual([["one.gz", "a".repeat(64)], ["two.xz", "b".repeat(64)]]);
});
