// The tests' "nothing changed" (test/helpers/tree-snapshot.ts) must see a change that keeps a
// file's path, type, mode and size: a rewrite of the same length. Comparing those four alone,
// as the helper did before, called such a rewrite "nothing changed".
import { afterEach, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { snapshotTree } from "../helpers/tree-snapshot.ts";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("a same-length rewrite (same path, type, mode, size and even mtime) is a change", () => {
  dir = mkdtempSync(join(tmpdir(), "crs-snapshot-"));
  const file = join(dir, "override.conf");
  writeFileSync(file, 'Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400"\n');
  chmodSync(file, 0o600);
  const { atime, mtime } = statSync(file);
  const before = snapshotTree(dir);
  writeFileSync(file, 'Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n');
  utimesSync(file, atime, mtime);
  expect(statSync(file).size).toBe(Number(before[0]!.split(" ")[2]));
  expect(snapshotTree(dir)).not.toEqual(before);
});

test("an untouched tree is the same snapshot; a link's target counts", () => {
  dir = mkdtempSync(join(tmpdir(), "crs-snapshot-"));
  writeFileSync(join(dir, "a"), "x");
  expect(snapshotTree(dir)).toEqual(snapshotTree(dir));
  expect(snapshotTree(join(dir, "missing"))).toEqual([`${join(dir, "missing")} absent`]);
});
