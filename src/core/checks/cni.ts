// nerdctl's bridge network: the CNI plugins it runs (bridge, host-local, portmap, firewall,
// tuning, loopback) in the directory it uses, and iptables, which those plugins call inside
// RootlessKit's namespace. nerdctl's directory: $CNI_PATH, else `cni_path` in
// ~/.config/nerdctl/nerdctl.toml, else the first that exists of ~/opt/cni/bin,
// ~/.local/libexec/cni, ~/.local/lib/cni, /opt/cni/bin, /usr/local/libexec/cni,
// /usr/local/lib/cni, /usr/libexec/cni, /usr/lib/cni (containerd/nerdctl
// pkg/defaults/defaults_linux.go, CNIPath). Only nerdctl and BuildKit's bridge need them:
// warnings when nerdctl is installed, optional information otherwise. BuildKit looks for its own
// (buildkit.ts): when buildkitd with bridge networking is installed and finds none, a warning.
import { join } from "node:path";
import type { Finding, Level } from "./findings.ts";
import { ok } from "./findings.ts";
import { existsSafe, findTool, readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import { installFix, readDistro, type Distro } from "./distro.ts";
import { buildkitCniMissing, buildkitFacts, findBuildkitCni } from "./buildkit.ts";

export const CNI_PLUGINS = ["bridge", "host-local", "portmap", "firewall", "tuning", "loopback"];

export function cniCandidates(home: string): string[] {
  return [join(home, "opt/cni/bin"), join(home, ".local/libexec/cni"), join(home, ".local/lib/cni"), "/opt/cni/bin", "/usr/local/libexec/cni", "/usr/local/lib/cni", "/usr/libexec/cni", "/usr/lib/cni"];
}

/** nerdctl's CNI directory and where that choice comes from. */
async function cniDir(ctx: CheckContext): Promise<{ dir: string; from: string }> {
  const env = ctx.host.env.CNI_PATH;
  if (env) return { dir: env, from: "CNI_PATH" };
  const toml = await readSafe(ctx, ctx.paths.nerdctlConfig);
  const m = /^\s*cni_path\s*=\s*["']([^"']+)["']/m.exec(toml.text ?? "");
  if (m) return { dir: m[1]!, from: `cni_path in ${ctx.paths.nerdctlConfig}` };
  for (const d of cniCandidates(ctx.paths.home)) if (await existsSafe(ctx, d)) return { dir: d, from: "nerdctl's default" };
  return { dir: "/opt/cni/bin", from: "nerdctl's default; none of its directories exists" };
}

/** BuildKit's bridge networking (an installed buildkitd >= 0.13): its CNI plugins found, or a warning naming the package. */
async function buildkitCni(ctx: CheckContext, distro: Distro): Promise<Finding | null> {
  const facts = await buildkitFacts(ctx.host).catch(() => null);
  if (!facts?.path || !facts.bridge) return null;
  const cni = await findBuildkitCni(ctx.host, ctx.paths, facts.path);
  if (cni) return ok("cni.buildkit", `CNI plugins for BuildKit's bridge networking: ${cni.prefixed ? `buildkit-cni-* in ${cni.dir}` : cni.dir}`);
  const missing = buildkitCniMissing(ctx.paths, facts.path);
  return { id: "cni.buildkit.missing", level: "warning", message: `${missing.message}: the BuildKit add-on cannot be installed.`, fix: missing.fix, sudoFix: installFix(distro, "containernetworking-plugins").sudoFix };
}

export async function probeCni(ctx: CheckContext): Promise<ProbeResult> {
  const [nerdctl, distro, where, iptables] = await Promise.all([findTool(ctx, "nerdctl"), readDistro(ctx), cniDir(ctx), findTool(ctx, "iptables")]);
  const buildkit = buildkitCni(ctx, distro).catch(() => null);
  const level: Level = nerdctl ? "warning" : "info";
  const subject = nerdctl ? "nerdctl's bridge network" : "nerdctl's bridge network (for when you install nerdctl)";
  const findings: Finding[] = [];
  const present = await Promise.all(CNI_PLUGINS.map((p) => existsSafe(ctx, join(where.dir, p))));
  const missing = CNI_PLUGINS.filter((_, i) => !present[i]);
  if (missing.length === 0) findings.push(ok("cni.plugins", `CNI plugins for nerdctl's bridge network: ${where.dir} (${where.from})`));
  else {
    findings.push({
      id: "cni.plugins.missing",
      level,
      message: `${subject} needs the CNI plugins ${missing.join(", ")}, which are not in ${where.dir} (${where.from}): \`nerdctl run\` fails with "failed to find plugin".`,
      fix: `Install them (Debian/Ubuntu: containernetworking-plugins, into /usr/lib/cni), or point nerdctl at where they are: \`export CNI_PATH=DIR\` or \`cni_path = "DIR"\` in ${ctx.paths.nerdctlConfig}.`,
      sudoFix: installFix(distro, "containernetworking-plugins").sudoFix,
    });
  }
  if (iptables) findings.push(ok("cni.iptables", `iptables for the CNI bridge (${iptables})`));
  else {
    findings.push({
      id: "cni.iptables.missing",
      level,
      message: `iptables was not found: the CNI bridge and portmap plugins of ${subject} need it inside RootlessKit's namespace.`,
      ...installFix(distro, "iptables"),
    });
  }
  const bk = await buildkit;
  if (bk) findings.push(bk);
  return { findings };
}
