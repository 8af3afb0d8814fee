import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { rewritePinned, RELEASE_TS } from "../../scripts/update-components.ts";
import { DEFAULT_VERSION, PINNED, releaseUrl, sumFor, versionFromName } from "../../src/core/components/release.ts";

test("the default version is nerdctl v2.3.5, pinned for both architectures as Lima pins it; v2.2.2 stays pinned", () => {
  expect(DEFAULT_VERSION).toBe("2.3.5");
  expect(PINNED["2.3.5"]).toEqual({ amd64: "b697295c623639734aaab737523c808fd3cc8d3046039fd94fff1744e4c317aa", arm64: "6e4b687f1d138e750a3c8372abc0f81d3d7490b6359c48c0562fc7dfe98859b2" });
  expect(PINNED["2.2.2"]?.amd64).toBe("8a477f35533c6cc1120c19558d8142967c74f25a4b952b481f48104e030de914");
  expect(releaseUrl("2.2.2", "arm64")).toBe("https://github.com/containerd/nerdctl/releases/download/v2.2.2/nerdctl-full-2.2.2-linux-arm64.tar.gz");
  expect(versionFromName("nerdctl-full-2.2.2-linux-amd64.tar.gz")).toBe("2.2.2");
  expect(versionFromName("nerdctl-2.2.2-linux-amd64.tar.gz")).toBeUndefined();
});

test("SHA256SUMS lines are matched by file name only (the minimal tarball is not the full one)", () => {
  const sums = `${"1".repeat(64)}  nerdctl-2.3.0-linux-amd64.tar.gz\n${"2".repeat(64)} *nerdctl-full-2.3.0-linux-amd64.tar.gz\n`;
  expect(sumFor(sums, "nerdctl-full-2.3.0-linux-amd64.tar.gz")).toBe("2".repeat(64));
  expect(sumFor(sums, "nerdctl-full-2.3.0-linux-arm64.tar.gz")).toBeUndefined();
});

test("scripts/update-components.ts adds a version to the pinned block (the older pins stay), and refuses a SHA256SUMS missing an architecture", () => {
  const source = readFileSync(RELEASE_TS, "utf8");
  const sums = `${"a".repeat(64)}  nerdctl-full-2.10.0-linux-amd64.tar.gz\n${"b".repeat(64)}  nerdctl-full-2.10.0-linux-arm64.tar.gz\n`;
  const out = rewritePinned(source, "v2.10.0", sums);
  expect(out).toContain(`export const DEFAULT_VERSION = "2.10.0";`);
  expect(out).toContain(`  "2.10.0": {\n    amd64: "${"a".repeat(64)}",\n    arm64: "${"b".repeat(64)}",\n  },\n};`); // last: versions in semver order
  for (const [v, pins] of Object.entries(PINNED)) expect(out).toContain(`  "${v}": {\n    amd64: "${pins.amd64}",\n    arm64: "${pins.arm64}",\n  },`);
  expect(out.split("// END PINNED")[1]).toBe(source.split("// END PINNED")[1]);
  expect(out.split("// BEGIN PINNED")[0]).toBe(source.split("// BEGIN PINNED")[0]);
  expect(rewritePinned(source, DEFAULT_VERSION, `${PINNED[DEFAULT_VERSION]!.amd64}  nerdctl-full-${DEFAULT_VERSION}-linux-amd64.tar.gz\n${PINNED[DEFAULT_VERSION]!.arm64}  nerdctl-full-${DEFAULT_VERSION}-linux-arm64.tar.gz\n`)).toBe(source);
  expect(() => rewritePinned(source, "2.10.0", sums.split("\n")[0]!)).toThrow(/no line for nerdctl-full-2.10.0-linux-arm64/);
});
