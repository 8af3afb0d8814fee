// Kernel switches for unprivileged user namespaces, read from /proc/sys (no `sysctl` process):
// kernel.unprivileged_userns_clone (Debian/Arch kernels), user.max_user_namespaces, and
// Ubuntu's kernel.apparmor_restrict_unprivileged_userns (RootlessKit outside /usr/bin needs
// an AppArmor profile that grants userns).
import { shellQuote } from "../os/shell.ts";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { findToolVersion, readSafe, type CheckContext, type ProbeResult } from "./context.ts";

const SYSCTL_CONF = "/etc/sysctl.d/99-rootless.conf";

async function readSysctl(ctx: CheckContext, name: string): Promise<{ value: string | null; finding?: Finding }> {
  const path = `/proc/sys/${name.replace(/\./g, "/")}`;
  const r = await readSafe(ctx, path);
  if (r.error) return { value: null, finding: { id: `sysctl.${name}.unreadable`, level: "warning", message: `${name} cannot be read: ${r.error}` } };
  return { value: r.text === null ? null : r.text.trim() };
}

function setLines(name: string, value: string): string[] {
  return [`echo "${name}=${value}" >> ${SYSCTL_CONF}`, `sysctl -w ${name}=${value}`];
}

/** The AppArmor profile name for a binary path: /home/u/bin/rootlesskit -> home.u.bin.rootlesskit */
export function apparmorProfileName(path: string): string {
  return path.replace(/^\/+/, "").replace(/\//g, ".");
}

export function apparmorProfileFix(path: string): string[] {
  const name = apparmorProfileName(path);
  return [
    [
      `cat > ${shellQuote(`/etc/apparmor.d/${name}`)} <<'EOT'`,
      "abi <abi/4.0>,",
      "include <tunables/global>",
      "",
      `"${path}" flags=(unconfined) {`,
      "  userns,",
      "",
      `  include if exists <local/${name}>`,
      "}",
      "EOT",
    ].join("\n"),
    "systemctl restart apparmor.service",
  ];
}

export async function probeSysctl(ctx: CheckContext): Promise<ProbeResult> {
  const [clone, max, apparmor, rootlesskit] = await Promise.all([
    readSysctl(ctx, "kernel.unprivileged_userns_clone"),
    readSysctl(ctx, "user.max_user_namespaces"),
    readSysctl(ctx, "kernel.apparmor_restrict_unprivileged_userns"),
    findToolVersion(ctx, "rootlesskit"),
  ]);
  const findings: Finding[] = [];

  if (clone.finding) findings.push(clone.finding);
  else if (clone.value === "0") {
    findings.push({ id: "sysctl.unprivileged_userns_clone", level: "error", message: "kernel.unprivileged_userns_clone is 0: unprivileged user namespaces are disabled.", sudoFix: setLines("kernel.unprivileged_userns_clone", "1") });
  } else if (clone.value !== null && clone.value !== "1") {
    findings.push({ id: "sysctl.unprivileged_userns_clone.unknown", level: "warning", message: `kernel.unprivileged_userns_clone has an unexpected value ${JSON.stringify(clone.value.slice(0, 40))}.` });
  } else findings.push(ok("sysctl.unprivileged_userns_clone", `kernel.unprivileged_userns_clone: ${clone.value ?? "not present (mainline kernel)"}`));

  if (max.finding) findings.push(max.finding);
  else if (max.value !== null) {
    const n = /^\d+$/.test(max.value) ? Number(max.value) : NaN;
    if (Number.isNaN(n)) findings.push({ id: "sysctl.max_user_namespaces.unknown", level: "warning", message: `user.max_user_namespaces has an unexpected value ${JSON.stringify(max.value.slice(0, 40))}.` });
    else if (n === 0) findings.push({ id: "sysctl.max_user_namespaces", level: "error", message: "user.max_user_namespaces is 0: user namespaces are disabled.", sudoFix: setLines("user.max_user_namespaces", "28633") });
    else if (n < 16) findings.push({ id: "sysctl.max_user_namespaces.low", level: "warning", message: `user.max_user_namespaces is only ${n}; containers may fail to start.`, sudoFix: setLines("user.max_user_namespaces", "28633") });
    else findings.push(ok("sysctl.max_user_namespaces", `user.max_user_namespaces: ${n}`));
  }

  if (apparmor.finding) findings.push(apparmor.finding);
  else if (apparmor.value === "1") {
    const path = rootlesskit ? ((await ctx.host.realpath(rootlesskit.path)) ?? rootlesskit.path) : null;
    const profile = path ? `/etc/apparmor.d/${apparmorProfileName(path)}` : null;
    if (profile && (await ctx.host.exists(profile).catch(() => false))) {
      findings.push({ id: "sysctl.apparmor_restrict_unprivileged_userns", level: "info", message: `AppArmor restricts unprivileged user namespaces; ${path} has the profile ${profile}.` });
    } else if (!path || path === "/usr/bin/rootlesskit") {
      findings.push({ id: "sysctl.apparmor_restrict_unprivileged_userns", level: "info", message: "AppArmor restricts unprivileged user namespaces; /usr/bin/rootlesskit is covered by the distribution's profile." });
    } else {
      findings.push({
        id: "sysctl.apparmor_restrict_unprivileged_userns.profile",
        level: "error",
        message: `AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1) and ${path} has no profile granting userns: RootlessKit fails with "fork/exec /proc/self/exe: operation not permitted".`,
        sudoFix: apparmorProfileFix(path),
      });
    }
  }
  return { findings };
}
