// containerd 1.6 / 1.7 / 2.x configuration rules, from containerd's own loader at these tags
// (github.com/containerd/containerd):
// - services/server/config/config.go ValidateV2 at v1.6.20 and v1.7.27: `version > 2` is
//   "unsupported config version";
// - version/version.go ConfigVersion: 3 at v2.0.0 and v2.2.0, 4 at v2.3.0;
// - cmd/containerd/server/config/config.go at v2.3.0: "drop-in config version %d higher than root
//   config version %d" (commit 21248d0);
// - resolveImports: a relative glob is matched against the working directory up to v1.6.28 and
//   v1.7.15, against the config file's directory from v1.6.29, v1.7.16 and in v2.0.0;
// - mergeConfig (every version): a later file's proxy_plugins entry replaces the earlier whole.
// The real `containerd config dump` of this machine's 1.6.20 is exercised by the add-on e2e tests.
import { afterEach, describe, expect, test } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { configRules } from "../../src/core/containerd/rules.ts";
import { registerProxyPlugin, unregisterProxyPlugin } from "../../src/core/containerd/proxy-plugins.ts";
import type { Step } from "../../src/core/plan/steps.ts";

const HOME = "/home/alice";
const CONFIG = `${HOME}/.config/containerd/config.toml`;
const CONF_D = `${HOME}/.config/containerd/conf.d`;
const GLOB = `${CONF_D}/*.toml`;
const SOCKET = "/run/user/1000/containerd-stargz-grpc/containerd-stargz-grpc.sock";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

/** A machine whose containerd is `version`; its `config dump` shows the proxy plugin (as a real one does once imported). */
async function machine(version: string, files: Record<string, string> = {}) {
  host = await makeTestHost({
    files,
    commands: {
      containerd: (argv) => (argv[1] === "--version" ? ok(`containerd github.com/containerd/containerd/v2 v${version} abc\n`) : ok(`version = 2\n[proxy_plugins]\n  [proxy_plugins.stargz]\n    type = "snapshot"\n`)),
    },
  });
  return resolvePaths(host.env, host.uid);
}

const written = (steps: Step[], path: string) => (steps.find((s) => s.kind === "write" && s.path === path) as Extract<Step, { kind: "write" }> | undefined)?.content;
const register = (paths: ReturnType<typeof resolvePaths>) => registerProxyPlugin(host!, paths, { name: "stargz", address: SOCKET });

describe("the rules per containerd version", () => {
  const table: [string | null, number, boolean, boolean][] = [
    // version, highest config version, relative globs resolved, drop-in version capped
    ["1.6.20", 2, false, false],
    ["1.6.29", 2, true, false],
    ["1.7.0", 2, false, false],
    ["1.7.16", 2, true, false],
    ["2.0.0", 3, true, false],
    ["2.2.7", 3, true, false],
    ["2.3.0", 4, true, true],
    [null, 2, false, true],
  ];
  for (const [v, max, rel, capped] of table) {
    test(`containerd ${v ?? "unknown"}`, () => {
      expect(configRules(v)).toEqual({ containerd: v, maxConfigVersion: max, createVersion: max, relativeGlobs: rel, dropInVersionCapped: capped });
    });
  }
});

describe("registering a proxy plugin writes what the installed containerd accepts", () => {
  for (const [v, created] of [["1.6.20", 2], ["1.7.27", 2], ["2.1.0", 3], ["2.3.4", 4]] as const) {
    test(`no config.toml, containerd ${v}: created as version = ${created}, the drop-in has no version`, async () => {
      const paths = await machine(v);
      const plan = await register(paths);
      expect(written(plan.steps, CONFIG)).toBe(`version = ${created}\nimports = ["${GLOB}"] # add-on drop-ins, managed by containerd-rootless-systemd\n`);
      expect(written(plan.steps, `${CONF_D}/stargz.toml`)).not.toMatch(/^version/m);
    });
  }

  test("the user's `version = 3` with containerd 1.6: refused, naming both versions and the two fixes", async () => {
    const paths = await machine("1.6.20", { [CONFIG]: "version = 3\n" });
    const err = await register(paths).catch((e: Error & { fix?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`${CONFIG} says \`version = 3\`, but the installed containerd 1.6.20 reads configuration versions up to 2 (version 3 is containerd 2.0's); containerd would refuse to start with it`);
    expect((err as { fix?: string }).fix).toContain("install containerd 2.0 or later, or write the file for containerd 1.6.20: `version = 2`");
    expect(host!.calls.some((c) => c.includes("dump"))).toBe(false); // refused before containerd is even asked
  });

  test("`version = 3` is fine with containerd 2.x, `version = 4` only from 2.3", async () => {
    let paths = await machine("2.0.0", { [CONFIG]: "version = 3\n" });
    expect(written((await register(paths)).steps, CONFIG)).toStartWith("version = 3\nimports = [");
    await host!.cleanup();
    paths = await machine("2.2.0", { [CONFIG]: "version = 4\n" });
    await expect(register(paths)).rejects.toThrow("reads configuration versions up to 3 (version 4 is containerd 2.3's)");
  });

  test("containerd 2.3: another drop-in with a higher version than config.toml is refused; 2.2 accepts it", async () => {
    const files = { [CONFIG]: "version = 2\n", [`${CONF_D}/mine.toml`]: "version = 3\n" };
    let paths = await machine("2.3.0", files);
    await expect(register(paths)).rejects.toThrow(`${CONF_D}/mine.toml says \`version = 3\`, higher than ${CONFIG}'s 2: containerd 2.3.0 refuses an imported file with a higher version than the root config`);
    await host!.cleanup();
    paths = await machine("2.2.0", files);
    expect(written((await register(paths)).steps, `${CONF_D}/stargz.toml`)).toContain("[proxy_plugins.\"stargz\"]");
  });

  test("a relative glob in the user's imports: warned about on 1.6.20, not on 1.7.16 or 2.x (they resolve it)", async () => {
    const text = 'version = 2\nimports = ["mine/*.toml"]\n';
    for (const [v, warns] of [["1.6.20", true], ["1.7.16", false], ["2.0.0", false]] as const) {
      const paths = await machine(v, { [CONFIG]: text });
      const w = (await register(paths)).warnings.join("\n");
      expect(w.includes("silently ignores relative globs")).toBe(warns);
      if (warns) expect(w).toContain("the installed containerd 1.6.20");
      await host!.cleanup();
      host = undefined;
    }
  });

  test("a config.toml created for containerd 2.x (version = 3) is removed again with the last add-on", async () => {
    const paths = await machine("2.1.0");
    const plan = await register(paths);
    for (const s of plan.steps) if (s.kind === "write") await host!.writeFileAtomic(s.path, s.content, s.mode);
    const undo = await unregisterProxyPlugin(host!, paths, "stargz");
    expect(undo.steps.some((s) => s.kind === "remove" && s.path === CONFIG)).toBe(true);
  });
});
