// The tar reader against archives GNU tar itself writes (the tool nerdctl's release uses):
// long names (GNU 'L' and PAX headers), symlinks, modes, and a truncated stream.
import { expect, test, afterAll } from "bun:test";
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTar, type TarEntry } from "../../src/core/components/tar.ts";

const dir = mkdtempSync(join(tmpdir(), "crs-tar-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function entries(bytes: Uint8Array): Promise<(TarEntry & { text?: string })[]> {
  const out: (TarEntry & { text?: string })[] = [];
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += 777) yield bytes.subarray(i, i + 777); // odd chunk size: headers straddle chunks
  }
  for await (const { entry, body } of readTar(chunks())) {
    const parts: Uint8Array[] = [];
    for await (const c of body) parts.push(c);
    out.push({ ...entry, ...(entry.type === "file" ? { text: Buffer.concat(parts).toString() } : {}) });
  }
  return out;
}

let n = 0;
function gnuTar(format: string): Uint8Array {
  const src = join(dir, `${format}-${n++}`);
  const long = "d".repeat(120) + "/" + "f".repeat(110);
  mkdirSync(join(src, "bin"), { recursive: true });
  mkdirSync(join(src, "d".repeat(120)), { recursive: true });
  writeFileSync(join(src, long), "long name\n");
  writeFileSync(join(src, "bin/prog"), "#!/bin/sh\n");
  chmodSync(join(src, "bin/prog"), 0o755);
  symlinkSync("../libexec/cni/bridge", join(src, "bin/link"));
  const r = Bun.spawnSync(["tar", `--format=${format}`, "-C", src, "-cf", "-", "bin", "d".repeat(120)]);
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

for (const format of ["gnu", "pax"]) {
  test(`reads GNU tar's ${format} format: long names, modes, symlinks, bodies`, async () => {
    const list = await entries(gnuTar(format));
    const byPath = Object.fromEntries(list.map((e) => [e.path.replace(/\/$/, ""), e]));
    expect(byPath["bin/prog"]).toMatchObject({ type: "file", text: "#!/bin/sh\n" });
    expect(byPath["bin/prog"]!.mode & 0o777).toBe(0o755);
    expect(byPath["bin/link"]).toMatchObject({ type: "symlink", linkpath: "../libexec/cni/bridge" });
    expect(byPath["d".repeat(120) + "/" + "f".repeat(110)]).toMatchObject({ type: "file", text: "long name\n" });
    expect(byPath["d".repeat(120)]!.type).toBe("dir");
  });
}

test("a truncated archive is an error, not a short list", async () => {
  const whole = gnuTar("gnu");
  await expect(entries(whole.subarray(0, 1500))).rejects.toThrow(/truncated/);
  await expect(entries(new TextEncoder().encode("x".repeat(1024)))).rejects.toThrow(/checksum is wrong/);
});

test("the file bodies come through intact across chunk boundaries", async () => {
  const big = join(dir, "big");
  mkdirSync(big);
  const data = Buffer.alloc(300_001, 7);
  writeFileSync(join(big, "blob"), data);
  const list = await entries(Bun.spawnSync(["tar", "-C", big, "-cf", "-", "blob"]).stdout);
  expect(list[0]!.size).toBe(300_001);
  expect(Buffer.from(list[0]!.text!).equals(data)).toBe(true);
});
