// pasta on Ubuntu >= 24.04: with kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu's
// passt packages of 23.10 and 24.04 lack the usr.bin.pasta AppArmor profile, and RootlessKit's
// --net=pasta fails (RootlessKit docs/network.md, "--net=pasta"; Launchpad bug 2077158). The
// preferred fix is that profile (from passt upstream, Debian, or Ubuntu after 24.10).
import type { Finding } from "./findings.ts";
import { findTool, readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import { readDistro } from "./distro.ts";
import { apparmorProfileName } from "./sysctl.ts";
import { serviceNetDriver } from "./service-view.ts";

export function ubuntuAtLeast2404(id: string, version: string | null): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? "");
  return id === "ubuntu" && m !== null && (Number(m[1]) > 24 || (Number(m[1]) === 24 && Number(m[2]) >= 4));
}

export async function probePasta(ctx: CheckContext): Promise<ProbeResult> {
  const [distro, net] = await Promise.all([readDistro(ctx), serviceNetDriver(ctx)]);
  if (net !== "pasta" || !ubuntuAtLeast2404(distro.id, distro.versionId)) return { findings: [] };
  const restrict = (await readSafe(ctx, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns")).text?.trim();
  if (restrict !== "1") return { findings: [] };
  const pasta = await findTool(ctx, "pasta");
  if (!pasta) return { findings: [] }; // the binaries check says pasta is missing
  const real = (await ctx.host.realpath(pasta)) ?? pasta;
  const profiles = [...new Set(["/etc/apparmor.d/usr.bin.pasta", `/etc/apparmor.d/${apparmorProfileName(pasta)}`, `/etc/apparmor.d/${apparmorProfileName(real)}`])];
  for (const p of profiles) {
    if (await ctx.host.exists(p).catch(() => false)) return { findings: [{ id: "pasta.apparmor", level: "ok", message: `pasta has the AppArmor profile ${p}` }] };
  }
  const finding: Finding = {
    id: "pasta.apparmor",
    level: "warning",
    message: `containerd.service uses the pasta network driver on ${distro.prettyName ?? `Ubuntu ${distro.versionId}`}, where AppArmor restricts unprivileged user namespaces and ${pasta} has no AppArmor profile (${profiles.join(", ")} missing; Ubuntu's passt package of 24.04 lacks usr.bin.pasta): RootlessKit cannot start pasta, and containerd.service fails.`,
    fix: "Add the usr.bin.pasta profile (passt upstream's contrib/apparmor, or the passt package of Debian or of Ubuntu after 24.10) to /etc/apparmor.d and `sudo apparmor_parser -r /etc/apparmor.d/usr.bin.pasta`; or use another network driver (`containerd-rootless-systemd configure --net slirp4netns`).",
  };
  return { findings: [finding] };
}
