import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { rewritePinned, RELEASE_TS } from "../../scripts/update-components.ts";
import { DEFAULT_VERSION, PINNED, releaseUrl, sumFor, versionFromName } from "../../src/core/components/release.ts";

test("the default version has a pinned SHA-256 for both architectures", () => {
  expect(PINNED[DEFAULT_VERSION]?.amd64).toMatch(/^[0-9a-f]{64}$/);
  expect(PINNED[DEFAULT_VERSION]?.arm64).toMatch(/^[0-9a-f]{64}$/);
  expect(releaseUrl("2.2.2", "arm64")).toBe("https://github.com/containerd/nerdctl/releases/download/v2.2.2/nerdctl-full-2.2.2-linux-arm64.tar.gz");
  expect(versionFromName("nerdctl-full-2.2.2-linux-amd64.tar.gz")).toBe("2.2.2");
  expect(versionFromName("nerdctl-2.2.2-linux-amd64.tar.gz")).toBeUndefined();
});

test("SHA256SUMS lines are matched by file name only (the minimal tarball is not the full one)", () => {
  const sums = `${"1".repeat(64)}  nerdctl-2.3.0-linux-amd64.tar.gz\n${"2".repeat(64)} *nerdctl-full-2.3.0-linux-amd64.tar.gz\n`;
  expect(sumFor(sums, "nerdctl-full-2.3.0-linux-amd64.tar.gz")).toBe("2".repeat(64));
  expect(sumFor(sums, "nerdctl-full-2.3.0-linux-arm64.tar.gz")).toBeUndefined();
});

test("scripts/update-components.ts rewrites only the pinned block, and refuses a SHA256SUMS missing an architecture", () => {
  const source = readFileSync(RELEASE_TS, "utf8");
  const sums = `${"a".repeat(64)}  nerdctl-full-2.3.0-linux-amd64.tar.gz\n${"b".repeat(64)}  nerdctl-full-2.3.0-linux-arm64.tar.gz\n`;
  const out = rewritePinned(source, "v2.3.0", sums);
  expect(out).toContain(`export const DEFAULT_VERSION = "2.3.0";`);
  expect(out).toContain(`    arm64: "${"b".repeat(64)}",`);
  expect(out.split("// END PINNED")[1]).toBe(source.split("// END PINNED")[1]);
  expect(out.split("// BEGIN PINNED")[0]).toBe(source.split("// BEGIN PINNED")[0]);
  expect(rewritePinned(source, DEFAULT_VERSION, `${PINNED[DEFAULT_VERSION]!.amd64}  nerdctl-full-${DEFAULT_VERSION}-linux-amd64.tar.gz\n${PINNED[DEFAULT_VERSION]!.arm64}  nerdctl-full-${DEFAULT_VERSION}-linux-arm64.tar.gz\n`)).toBe(source);
  expect(() => rewritePinned(source, "2.3.0", sums.split("\n")[0]!)).toThrow(/no line for nerdctl-full-2.3.0-linux-arm64/);
});
