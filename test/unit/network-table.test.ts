// A table of machines: which RootlessKit (its real or reconstructed `--help`), which network
// helpers exist, which containerd (1.6/1.7/2.x) with which config.toml, what the service is configured with. For every row, `check`'s verdict, the
// launcher's argv (or its refusal) and the values `configure` accepts, and the rule that check
// and the launcher never disagree: check passes exactly when the launcher starts, on the same driver.
import { describe, expect, test, afterEach } from "bun:test";
import { machine, check, SMOKE_STDOUT, slirp4netns } from "./checks-fixture.ts";
import { ok, type Handler, type TestHost } from "../helpers/test-host.ts";
import { rootlesskitHandler, rootlesskitHelp, withoutDriver } from "../helpers/rootlesskit-help.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { planParent } from "../../src/launcher/parent.ts";
import { planConfigure } from "../../src/core/rootlesskit/configure.ts";
import { NET_DRIVERS, PORT_DRIVERS, type RawSettings } from "../../src/core/rootlesskit/settings.ts";

type Helper = "slirp4netns" | "slirp4netns-0.3" | "vpnkit" | "pasta" | "lxc-user-nic";

interface Row {
  name: string;
  help: string;
  helpers: Helper[];
  /** the installed containerd (default 1.6.20, this machine's) and the user's config.toml version line */
  containerd?: string;
  config?: string;
  /** check refuses config.toml for this containerd (version 3 with 1.x), whatever the network */
  configRefused?: boolean;
  /** the service's drop-in (and so the launcher's environment) */
  configured?: Record<string, string>;
  /** null: check fails and the launcher refuses */
  expect: { net: string; mtu: number; detach: boolean } | null;
  /** the network drivers `configure --net X` accepts here (pasta with `--port-driver implicit`) */
  nets: string[];
  /** the port drivers `configure --port-driver X` accepts with the default network driver */
  ports?: string[];
  /** `configure --ipv6 true` is accepted */
  ipv6?: boolean;
}

const H11 = rootlesskitHelp("1.1.0");
const H2 = rootlesskitHelp("2.3.6");
const H3 = rootlesskitHelp("3.0.0");

const ROWS: Row[] = [
  { name: "RootlessKit 1.1.0 + slirp4netns 1.2 (this machine)", help: H11, helpers: ["slirp4netns"], expect: { net: "slirp4netns", mtu: 65520, detach: false }, nets: ["slirp4netns"], ports: ["builtin", "slirp4netns", "none"], ipv6: true },
  { name: "1.1.0, slirp4netns 0.3 + vpnkit", help: H11, helpers: ["slirp4netns-0.3", "vpnkit"], expect: { net: "vpnkit", mtu: 1500, detach: false }, nets: ["slirp4netns", "vpnkit"], ports: ["builtin", "none"], ipv6: false },
  { name: "1.1.0, no helper", help: H11, helpers: [], expect: null, nets: [] },
  { name: "1.1.0, pasta only (1.1 has no pasta)", help: H11, helpers: ["pasta"], expect: null, nets: [] },
  { name: "1.1.0, lxc-user-nic only: not an automatic choice", help: H11, helpers: ["lxc-user-nic"], expect: null, nets: ["lxc-user-nic"] },
  { name: "1.1.0, lxc-user-nic configured", help: H11, helpers: ["lxc-user-nic"], configured: { NET: "lxc-user-nic" }, expect: { net: "lxc-user-nic", mtu: 1500, detach: false }, nets: ["lxc-user-nic"] },
  { name: "1.1.0, vpnkit configured but not installed", help: H11, helpers: ["slirp4netns"], configured: { NET: "vpnkit" }, expect: null, nets: ["slirp4netns"] },
  { name: "RootlessKit 2.3.6 + slirp4netns, containerd 1.7 with a version 2 config", help: H2, helpers: ["slirp4netns"], containerd: "1.7.27", config: "version = 2\n", expect: { net: "slirp4netns", mtu: 65520, detach: true }, nets: ["slirp4netns"], ports: ["builtin", "slirp4netns", "none"], ipv6: true },
  { name: "2.3.6, pasta only: no automatic driver (nerdctl never picks pasta)", help: H2, helpers: ["pasta"], expect: null, nets: ["pasta"] },
  { name: "2.3.6, pasta configured with the implicit port driver", help: H2, helpers: ["pasta"], configured: { NET: "pasta", PORT_DRIVER: "implicit" }, expect: { net: "pasta", mtu: 1500, detach: true }, nets: ["pasta"] },
  { name: "RootlessKit 3.0.0, no helper, containerd 2.1 with a version 3 config: built-in gvisor-tap-vsock", help: H3, helpers: [], containerd: "2.1.4", config: "version = 3\n", expect: { net: "gvisor-tap-vsock", mtu: 65520, detach: true }, nets: ["gvisor-tap-vsock"], ports: ["builtin", "gvisor-tap-vsock", "none"], ipv6: false },
  { name: "3.0.0 + vpnkit, containerd 1.7 with a version 3 config: the network is fine, the config is refused", help: H3, helpers: ["vpnkit"], containerd: "1.7.27", config: "version = 3\n", configRefused: true, expect: { net: "vpnkit", mtu: 1500, detach: true }, nets: ["vpnkit", "gvisor-tap-vsock"] },
  { name: "3.0.0 + slirp4netns + pasta", help: H3, helpers: ["slirp4netns", "pasta"], expect: { net: "slirp4netns", mtu: 65520, detach: true }, nets: ["slirp4netns", "pasta", "gvisor-tap-vsock"], ipv6: true },
  { name: "3.0.0 built with no_slirp4netns, slirp4netns installed", help: withoutDriver(H3, "slirp4netns"), helpers: ["slirp4netns"], expect: { net: "gvisor-tap-vsock", mtu: 65520, detach: true }, nets: ["gvisor-tap-vsock"] },
  { name: "3.0.0 built without gvisor-tap-vsock, no helper", help: withoutDriver(H3, "gvisor-tap-vsock\\(experimental\\)"), helpers: [], expect: null, nets: [] },
];

const HELPERS: Record<Helper, [string, Handler]> = {
  slirp4netns: ["slirp4netns", slirp4netns("1.2.0")],
  "slirp4netns-0.3": ["slirp4netns", slirp4netns("0.3.0")],
  vpnkit: ["vpnkit", () => ok("vpnkit version v0.5.0\n")],
  pasta: ["pasta", () => ok("pasta 0^20231004.gf851084\n")],
  "lxc-user-nic": ["lxc-user-nic", () => ok()],
};

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

async function rowMachine(row: Row): Promise<TestHost> {
  const commands: Record<string, Handler | null> = { rootlesskit: rootlesskitHandler(row.help, SMOKE_STDOUT), slirp4netns: null };
  for (const h of row.helpers) commands[HELPERS[h][0]] = HELPERS[h][1];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(row.configured ?? {})) env[`CONTAINERD_ROOTLESS_ROOTLESSKIT_${k}`] = v;
  const dropIn = Object.entries(env).map(([k, v]) => `Environment=${k}=${v}\n`).join("");
  if (row.containerd) commands.containerd = () => ok(`containerd github.com/containerd/containerd/v2 v${row.containerd} abc\n`);
  const files: Record<string, string> = {};
  if (dropIn) files["/home/alice/.config/systemd/user/containerd.service.d/override.conf"] = `[Service]\n${dropIn}`;
  if (row.config) files["/home/alice/.config/containerd/config.toml"] = row.config;
  return machine({ commands, env, files });
}

async function accepted(h: TestHost, key: "net" | "portDriver" | "ipv6", values: readonly string[]): Promise<string[]> {
  const paths = resolvePaths(h.env, h.uid);
  const out: string[] = [];
  for (const v of values) {
    // pasta with the port driver it takes (RootlessKit refuses it with the default builtin)
    const set: RawSettings = key === "net" && v === "pasta" ? { net: v, portDriver: "implicit" } : { [key]: v };
    if (await planConfigure(h, paths, { set, reset: key === "net" && v !== "pasta" ? ["portDriver"] : [] }).then(() => true, () => false)) out.push(v);
  }
  return out;
}

describe("check, launcher and configure agree on every machine", () => {
  for (const row of ROWS) {
    test(row.name, async () => {
      host = await rowMachine(row);
      const paths = resolvePaths(host.env, host.uid);
      const r = await check(host);
      const launcher = await planParent(host, paths, []).then(
        (p) => p,
        (e: Error) => e,
      );
      // never disagree: check's network verdict passes exactly when the launcher starts, and names its driver
      const networkOk = !r.findings.some((f) => f.level === "error" && (f.id.startsWith("binaries.network") || f.id.startsWith("binaries.slirp4netns")));
      expect(networkOk).toBe(!(launcher instanceof Error));
      expect(r.findings.some((f) => f.id === "binaries.containerd.config-version")).toBe(Boolean(row.configRefused));
      expect(r.ok).toBe(networkOk && !row.configRefused);
      if (launcher instanceof Error) {
        expect(row.expect).toBeNull();
        const f = r.findings.find((x) => x.level === "error" && x.id.startsWith("binaries.network"))!;
        expect(f).toBeDefined();
        expect(r.facts.networkDriver).toBeNull();
      } else {
        expect(row.expect).not.toBeNull();
        expect(r.facts.networkDriver).toBe(launcher.settings.net as never);
        expect(launcher.argv).toContain(`--net=${row.expect!.net}`);
        expect(launcher.argv).toContain(`--mtu=${row.expect!.mtu}`);
        expect(launcher.argv.includes("--detach-netns")).toBe(row.expect!.detach);
        expect(r.facts.detachNetnsSupported).toBe(row.expect!.detach);
      }
      expect(await accepted(host, "net", NET_DRIVERS)).toEqual(row.nets);
      if (row.ports) expect(await accepted(host, "portDriver", PORT_DRIVERS)).toEqual(row.ports);
      if (row.ipv6 !== undefined) expect(await accepted(host, "ipv6", ["true"])).toEqual(row.ipv6 ? ["true"] : []);
    });
  }
});

test("IPv6 reaches the launcher's argv as nerdctl's script passes it (--ipv6 before --detach-netns)", async () => {
  host = await rowMachine({ name: "", help: H2, helpers: ["slirp4netns"], configured: { IPV6: "true" }, expect: null, nets: [] });
  const plan = await planParent(host, resolvePaths(host.env, host.uid), []);
  const at = (f: string) => plan.argv.indexOf(f);
  expect(at("--ipv6")).toBeGreaterThan(at("--propagation=rslave"));
  expect(at("--detach-netns")).toBe(at("--ipv6") + 1);
});

test("MTU: gvisor-tap-vsock gets 65520 when chosen automatically (nerdctl's script), 1500 when set without an MTU (as every driver but slirp4netns)", async () => {
  host = await rowMachine({ name: "", help: H3, helpers: [], configured: { NET: "gvisor-tap-vsock" }, expect: null, nets: [] });
  expect((await planParent(host, resolvePaths(host.env, host.uid), [])).argv).toContain("--mtu=1500");
  await host.cleanup();
  host = await rowMachine({ name: "", help: H3, helpers: ["slirp4netns"], configured: { NET: "slirp4netns" }, expect: null, nets: [] });
  expect((await planParent(host, resolvePaths(host.env, host.uid), [])).argv).toContain("--mtu=65520");
});
