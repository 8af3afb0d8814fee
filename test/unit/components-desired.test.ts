// [components] in apply files, and status --export writing the active bundle back.
import { expect, test } from "bun:test";
import { parseDesiredState, DesiredStateError } from "../../src/core/desired-state/parse.ts";
import { currentDesiredState, renderDesiredState } from "../../src/core/desired-state/export.ts";
import { makeTestHost, ok } from "../helpers/test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { activate, metaFile, versionDir } from "../../src/core/components/store.ts";
import "../../src/plugins/index.ts";

const SHA = "8a477f35533c6cc1120c19558d8142967c74f25a4b952b481f48104e030de914";

test("[components] with version, from and sha256 is read (v prefix dropped, hex lower-cased)", () => {
  const p = parseDesiredState(`[components]\nversion = "v2.2.2"\nfrom = "https://mirror.lan/x/nerdctl-full-2.2.2-linux-amd64.tar.gz"\nsha256 = "${SHA.toUpperCase()}"\n`, "x.toml");
  expect(p.state.components).toEqual({ version: "2.2.2", from: "https://mirror.lan/x/nerdctl-full-2.2.2-linux-amd64.tar.gz", sha256: SHA });
});

test("bad [components] keys are refused with their line and a reason", () => {
  const text = `[components]\nversion = "latest"\nsha256 = "abc"\nmirror = "x"\n`;
  const err = (() => {
    try {
      parseDesiredState(text, "x.toml");
    } catch (e) {
      return e as DesiredStateError;
    }
  })()!;
  expect(err).toBeInstanceOf(DesiredStateError);
  expect(err.message).toMatch(/x\.toml:2:\d+: components\.version: "latest" is not a nerdctl-full version/);
  expect(err.message).toMatch(/x\.toml:3:\d+: components\.sha256: .* is not a SHA-256/);
  expect(err.message).toMatch(/x\.toml:4:\d+: components\.mirror: unknown key/);
});

test("status --export writes the active bundle back, pinned by its SHA-256, and apply reads it again", async () => {
  const host = await makeTestHost({ commands: { systemctl: () => ok("") } });
  try {
    const paths = resolvePaths(host.env, host.uid);
    await host.mkdirp(`${versionDir(paths, "2.2.2")}/bin`);
    await host.writeFileAtomic(metaFile(versionDir(paths, "2.2.2")), JSON.stringify({ version: "2.2.2", sha256: SHA, source: "/media/nerdctl-full-2.2.2-linux-amd64.tar.gz", installedAt: "" }));
    const before = await currentDesiredState(host, paths);
    expect(before.components).toBeUndefined();
    await activate(host, paths, "2.2.2");
    const doc = await currentDesiredState(host, paths);
    expect(doc.components).toEqual({ version: "2.2.2", sha256: SHA, from: "/media/nerdctl-full-2.2.2-linux-amd64.tar.gz" });
    for (const format of ["toml", "yaml", "json"] as const) {
      expect(parseDesiredState(renderDesiredState(doc, format), `x.${format}`).state.components).toEqual(doc.components!);
    }
  } finally {
    await host.cleanup();
  }
});
