// The programs rootless containerd needs, and their versions: rootlesskit, containerd,
// runc or crun, the network driver the service will use (network-driver.ts: the launcher's own choice),
// newuidmap/newgidmap (setuid root or with file capabilities), nsenter and mount.
import { shellQuote } from "../os/shell.ts";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { findTool, findToolVersion, readSafe, type CheckContext, type ProbeResult, type Tool } from "./context.ts";
import { UserError } from "../os/errors.ts";
import { configRules, declaredVersion, requireReadableVersion } from "../containerd/rules.ts";
import { parseTomlChecked } from "../containerd/toml-text.ts";
import { installFix, readDistro, type Distro } from "./distro.ts";
import { probeNetworkDriver } from "./network-driver.ts";

function describe(t: Tool): string {
  return t.version ? `${t.version} (${t.path})` : `${t.path} (version unknown: ${JSON.stringify(t.versionText)})`;
}

function missing(id: string, what: string, distro: Distro, pkg: string, why = ""): Finding {
  return { id, level: "error", message: `${what} was not found on PATH${why}.`, ...installFix(distro, pkg) };
}

/** newuidmap must be setuid root, or carry the capability (cap_setuid / cap_setgid) as a file capability. */
async function idmapFinding(ctx: CheckContext, name: "newuidmap" | "newgidmap", distro: Distro): Promise<Finding> {
  const id = `binaries.${name}`;
  const path = await findTool(ctx, name);
  if (!path) return missing(`${id}.missing`, name, distro, "uidmap");
  const real = (await ctx.host.realpath(path)) ?? path;
  const st = await ctx.host.stat(real).catch(() => null);
  if (st && st.uid === 0 && (st.mode & 0o4000) !== 0) return ok(id, `${name} is setuid root (${path})`);
  const cap = name === "newuidmap" ? "cap_setuid" : "cap_setgid";
  const getcap = await findTool(ctx, "getcap");
  if (getcap) {
    const r = await ctx.host.run([getcap, real], { timeoutMs: 5000 });
    if (r.code === 0 && r.stdout.includes(cap)) return ok(id, `${name} has the ${cap} file capability (${path})`);
  }
  const why = getcap ? `neither setuid root nor has the ${cap} file capability` : `not setuid root (getcap is not installed, so file capabilities could not be checked)`;
  return {
    id: `${id}.not-privileged`,
    level: "error",
    message: `${name} (${real}) is ${why}: RootlessKit cannot map the subordinate ids.`,
    sudoFix: [`chown root:root ${shellQuote(real)}`, `chmod u+s ${shellQuote(real)}`],
  };
}

/** The user's config.toml declares a version the installed containerd cannot read (e.g. 3 with 1.6): containerd would not start. */
async function configVersionFinding(ctx: CheckContext, containerd: Tool): Promise<Finding[]> {
  const { text } = await readSafe(ctx, ctx.paths.containerdConfig);
  if (text === null) return [];
  let version: number;
  try {
    version = declaredVersion(parseTomlChecked(text, ctx.paths.containerdConfig));
  } catch {
    return []; // a broken file is reported where it is edited, with its line and column
  }
  try {
    requireReadableVersion(configRules(containerd.version), version, ctx.paths.containerdConfig);
    return [];
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return [{ id: "binaries.containerd.config-version", level: "error", message: `${e.message}.`, fix: e.fix }];
  }
}

export async function probeBinaries(ctx: CheckContext): Promise<ProbeResult> {
  // every program's --version starts now, at once: none waits for another's (containerd's takes the longest)
  const tools = Promise.all(["rootlesskit", "containerd", "runc", "crun", "slirp4netns", "vpnkit", "pasta"].map((name) => findToolVersion(ctx, name)));
  const [nsenter, mount, newuidmap, newgidmap] = await Promise.all(["nsenter", "mount", "newuidmap", "newgidmap"].map((name) => findTool(ctx, name)));
  const distro = await readDistro(ctx);
  const [net, uidmap, gidmap, [rootlesskit, containerd, runc, crun, slirp4netns, vpnkit, pasta]] = await Promise.all([
    findToolVersion(ctx, "slirp4netns").then((slirp) => probeNetworkDriver(ctx, slirp, distro)),
    idmapFinding(ctx, "newuidmap", distro),
    idmapFinding(ctx, "newgidmap", distro),
    tools,
  ]);
  const findings: Finding[] = [];
  findings.push(rootlesskit ? ok("binaries.rootlesskit", `RootlessKit ${describe(rootlesskit)}`) : missing("binaries.rootlesskit.missing", "rootlesskit", distro, "rootlesskit"));
  findings.push(containerd ? ok("binaries.containerd", `containerd ${describe(containerd)}`) : missing("binaries.containerd.missing", "containerd", distro, "containerd"));
  if (containerd) findings.push(...(await configVersionFinding(ctx, containerd)));
  const runtime = runc ?? crun;
  findings.push(runtime ? ok("binaries.runtime", `OCI runtime: ${runc ? "runc" : "crun"} ${describe(runtime)}`) : missing("binaries.runtime.missing", "An OCI runtime (runc or crun)", distro, "runc"));
  findings.push(...net.findings, uidmap, gidmap);
  findings.push(nsenter ? ok("binaries.nsenter", `nsenter (${nsenter})`) : missing("binaries.nsenter.missing", "nsenter", distro, "util-linux"));
  findings.push(mount ? ok("binaries.mount", `mount (${mount})`) : missing("binaries.mount.missing", "mount", distro, "mount"));
  return {
    findings,
    facts: {
      ...net.facts,
      tools: { rootlesskit, containerd, runc, crun, nsenter, mount, newuidmap, newgidmap, slirp4netns, vpnkit, pasta },
    },
  };
}
