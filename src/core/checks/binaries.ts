// The programs rootless containerd needs, and their versions: rootlesskit, containerd,
// runc or crun, a network driver (slirp4netns >= 0.4.0, else vpnkit, pasta, lxc-user-nic),
// newuidmap/newgidmap (setuid root or with file capabilities), nsenter and mount.
import { shellQuote } from "../os/shell.ts";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { atLeast } from "../os/version.ts";
import { findTool, findToolVersion, type CheckContext, type ProbeResult, type Tool } from "./context.ts";
import { installFix, readDistro, type Distro } from "./distro.ts";
import type { FactsPart, NetworkDriver } from "./facts.ts";

const SLIRP_MIN = "0.4.0";

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

async function networkDriver(ctx: CheckContext, rkAtLeast2: boolean, distro: Distro): Promise<{ findings: Finding[]; facts: FactsPart }> {
  const [slirp, vpnkit, pasta, lxc] = await Promise.all([
    findToolVersion(ctx, "slirp4netns"),
    findToolVersion(ctx, "vpnkit"),
    findToolVersion(ctx, "pasta"),
    findTool(ctx, "lxc-user-nic"),
  ]);
  const facts: FactsPart = { tools: { slirp4netns: slirp, vpnkit, pasta } };
  const slirpOk = slirp?.version ? atLeast(slirp.version, SLIRP_MIN) : false;
  let driver: NetworkDriver | null = slirpOk ? "slirp4netns" : vpnkit ? "vpnkit" : pasta && rkAtLeast2 ? "pasta" : lxc ? "lxc-user-nic" : null;
  facts.networkDriver = driver;
  const findings: Finding[] = [];
  if (slirp && !slirpOk) {
    findings.push({
      id: "binaries.slirp4netns.too-old",
      level: driver ? "warning" : "error",
      message: `slirp4netns ${slirp.version ?? "(unknown version)"} is older than ${SLIRP_MIN}${driver ? `; using ${driver} instead` : ""}.`,
      fix: `Install slirp4netns ${SLIRP_MIN} or newer.`,
    });
  }
  if (driver === "slirp4netns") findings.push(ok("binaries.network", `Network driver: slirp4netns ${describe(slirp!)}`));
  else if (driver) findings.push({ id: "binaries.network", level: "info", message: `Network driver: ${driver} (slirp4netns >= ${SLIRP_MIN} is preferred)` });
  else if (!slirp) findings.push(missing("binaries.network.missing", "A network driver (slirp4netns, vpnkit or pasta)", distro, "slirp4netns"));
  return { findings, facts };
}

export async function probeBinaries(ctx: CheckContext): Promise<ProbeResult> {
  const distro = await readDistro(ctx);
  const [rootlesskit, containerd, runc, crun, nsenter, mount] = await Promise.all([
    findToolVersion(ctx, "rootlesskit"),
    findToolVersion(ctx, "containerd"),
    findToolVersion(ctx, "runc"),
    findToolVersion(ctx, "crun"),
    findTool(ctx, "nsenter"),
    findTool(ctx, "mount"),
  ]);
  const rkAtLeast2 = rootlesskit?.version ? atLeast(rootlesskit.version, "2.0.0") : false;
  const [net, uidmap, gidmap, newuidmap, newgidmap] = await Promise.all([
    networkDriver(ctx, rkAtLeast2, distro),
    idmapFinding(ctx, "newuidmap", distro),
    idmapFinding(ctx, "newgidmap", distro),
    findTool(ctx, "newuidmap"),
    findTool(ctx, "newgidmap"),
  ]);
  const findings: Finding[] = [];
  findings.push(rootlesskit ? ok("binaries.rootlesskit", `RootlessKit ${describe(rootlesskit)}`) : missing("binaries.rootlesskit.missing", "rootlesskit", distro, "rootlesskit"));
  findings.push(containerd ? ok("binaries.containerd", `containerd ${describe(containerd)}`) : missing("binaries.containerd.missing", "containerd", distro, "containerd"));
  const runtime = runc ?? crun;
  findings.push(runtime ? ok("binaries.runtime", `OCI runtime: ${runc ? "runc" : "crun"} ${describe(runtime)}`) : missing("binaries.runtime.missing", "An OCI runtime (runc or crun)", distro, "runc"));
  findings.push(...net.findings, uidmap, gidmap);
  findings.push(nsenter ? ok("binaries.nsenter", `nsenter (${nsenter})`) : missing("binaries.nsenter.missing", "nsenter", distro, "util-linux"));
  findings.push(mount ? ok("binaries.mount", `mount (${mount})`) : missing("binaries.mount.missing", "mount", distro, "mount"));
  return {
    findings,
    facts: {
      ...net.facts,
      tools: { ...net.facts.tools, rootlesskit, containerd, runc, crun, nsenter, mount, newuidmap, newgidmap },
      detachNetnsSupported: rkAtLeast2,
    },
  };
}
