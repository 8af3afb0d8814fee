// `components upgrade` counts an add-on as back only when it answers its readiness probe (the
// request install waits for and status asks), not when its unit is merely active: an add-on
// whose probe fails after the switch makes the switch go back to the old version.
import { afterEach, describe, expect, test } from "bun:test";
import { dirname, join } from "node:path";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { resolvePaths, type Paths } from "../../src/core/os/paths.ts";
import { OWNED_MARKER } from "../../src/core/systemd/units.ts";
import { activate, activeVersion, currentBin, metaFile, versionDir } from "../../src/core/components/store.ts";
import { SwitchedBackError, switchBundle } from "../../src/core/components/switch.ts";
import { addonProbes } from "../../src/core/components/actions.ts";
import type { AddonProbe } from "../../src/core/containerd/addon-ready.ts";
import "../../src/plugins/index.ts";

let host: TestHost;
afterEach(async () => host?.cleanup());

const write = async (path: string, content: string) => {
  await host.mkdirp(dirname(path));
  await host.writeFileAtomic(path, content);
};
const UNIT = "bypass4netnsd.service";
const show = (unit: string) => `Id=${unit}\nLoadState=loaded\nActiveState=active\nSubState=running\nMainPID=42\nUnitFileState=enabled\nNRestarts=0\n`;

/** bypass4netnsd runs from the bundle (first on its PATH) and its unit stays active whatever version is current. */
async function setup(): Promise<{ paths: Paths; restarts: string[] }> {
  const restarts: string[] = [];
  host = await makeTestHost({
    commands: {
      systemctl: (argv) => {
        if (argv[2] === "show") return ok(show(argv[argv.length - 1]!));
        if (argv[2] === "restart") restarts.push(argv[3]!);
        return ok();
      },
    },
  });
  const paths = resolvePaths(host.env, host.uid);
  for (const v of ["2.2.0", "2.3.0"]) await write(metaFile(versionDir(paths, v)), JSON.stringify({ version: v }));
  await write(join(paths.unitDir, UNIT), `${OWNED_MARKER}\n[Service]\nEnvironment=PATH=${currentBin(paths)}:/usr/bin\nExecStart=${currentBin(paths)}/bypass4netnsd\n`);
  await activate(host, paths, "2.2.0");
  return { paths, restarts };
}

/** Answers only while `current` is the given version: the new bundle's daemon runs but does not answer. */
const answersOn = (paths: Paths, good: string): AddonProbe => ({
  what: "bypass4netnsd's API (test)",
  check: async (h) => ((await activeVersion(h, paths)) === good ? { ok: true, detail: "answered" } : { ok: false, detail: "GET /v1/bypass: connection refused" }),
});

describe("components switch waits on the add-on probes", () => {
  test("an add-on that answers on neither version: switched back, and the error says the old one does not answer either", async () => {
    const { paths } = await setup();
    const err = await switchBundle(host, paths, "2.2.0", "2.3.0", () => {}, { probes: new Map([[UNIT, answersOn(paths, "none")]]), timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(SwitchedBackError);
    expect(err.answers).toBe(false);
    expect(err.message).toContain("rolled back to 2.2.0, but that did not answer either");
    expect(await activeVersion(host, paths)).toBe("2.2.0");
  });

  test("an add-on whose probe fails after the switch (its unit active all along) makes the switch go back", async () => {
    const { paths, restarts } = await setup();
    const log: string[] = [];
    const err = await switchBundle(host, paths, "2.2.0", "2.3.0", (m) => log.push(m), { probes: new Map([[UNIT, answersOn(paths, "2.2.0")]]), timeoutMs: 400 }).catch((e) => e);
    expect(err).toBeInstanceOf(SwitchedBackError);
    expect(err.answers).toBe(true);
    expect(err.message).toContain("upgrade to 2.3.0 failed: bypass4netnsd.service did not come back: bypass4netnsd's API (test) does not answer");
    expect(err.message).toContain("last answer: GET /v1/bypass: connection refused");
    expect(err.message).toContain("rolled back to 2.2.0, which answers again");
    expect(await activeVersion(host, paths)).toBe("2.2.0");
    expect(restarts).toEqual([UNIT, UNIT]);
    expect(log.some((l) => l.startsWith("Rolling back to 2.2.0"))).toBe(true);
  });

  test("an add-on that answers on the new version: the switch stays", async () => {
    const { paths, restarts } = await setup();
    const r = await switchBundle(host, paths, "2.2.0", "2.3.0", () => {}, { probes: new Map([[UNIT, answersOn(paths, "2.3.0")]]), timeoutMs: 5000 });
    expect(r.restarted).toEqual([UNIT]);
    expect(await activeVersion(host, paths)).toBe("2.3.0");
    expect(restarts).toEqual([UNIT]);
  });

  test("the probes come from the add-ons: the same requests install waits for and status asks", async () => {
    await setup();
    const buildkitUnit = join(resolvePaths(host.env, host.uid).unitDir, "buildkit.service");
    await write(buildkitUnit, `${OWNED_MARKER}\n[Service]\nExecStart=/usr/bin/buildkitd\n`);
    const probes = await addonProbes({ host, paths: resolvePaths(host.env, host.uid) });
    expect(probes.get(UNIT)?.what).toMatch(/^bypass4netnsd's API \(.*bypass4netnsd.*\)$/);
    expect(probes.get("buildkit.service")?.what).toMatch(/^buildkitd's gRPC API \(.*buildkit\/buildkitd\.sock\)$/);
    expect(probes.get("stargz-snapshotter.service")?.what).toBe("the stargz snapshotter through containerd");
    expect(probes.get("containerd-fuse-overlayfs.service")?.what).toBe("the fuse-overlayfs snapshotter through containerd");
  });
});
