// What bypass4netns needs from the machine (behaviour.md; rootless-containers/bypass4netns
// README "Requirements"): kernel >= 5.9 (seccomp notify with SECCOMP_IOCTL_NOTIF_ADDFD),
// runc >= 1.1 or crun >= 1.6 (they hand the seccomp listener to bypass4netns), and
// libseccomp >= 2.5. One finding per prerequisite, each with its fix.
import type { Host } from "../../core/os/host.ts";
import { atLeast, parseVersion } from "../../core/os/version.ts";
import type { Finding } from "../../core/checks/findings.ts";

const LIB_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib64", "/lib"];

async function versionOf(host: Host, name: string): Promise<{ path: string; version: string | null; out: string } | null> {
  const path = await host.which(name);
  if (!path) return null;
  const r = await host.run([path, "--version"], { timeoutMs: 10_000 });
  const out = r.code === 0 ? r.stdout : "";
  return { path, version: parseVersion(out.split("\n")[0] ?? ""), out };
}

/** libseccomp's version: what runc reports (`libseccomp: 2.5.4`), else the shared library's file name. */
async function libseccompVersion(host: Host, runcOut: string): Promise<string | null> {
  const said = /^libseccomp:\s*(\S+)/m.exec(runcOut)?.[1];
  if (said) return parseVersion(said);
  for (const dir of LIB_DIRS) {
    for (const f of (await host.readdir(dir).catch(() => null)) ?? []) {
      const m = /^libseccomp\.so\.(\d+\.\d+\.\d+)$/.exec(f);
      if (m) return m[1]!;
    }
  }
  return null;
}

export async function bypass4netnsPrerequisites(host: Host): Promise<Finding[]> {
  const findings: Finding[] = [];
  const release = (await host.readText("/proc/sys/kernel/osrelease"))?.trim() ?? "";
  const kernel = parseVersion(release);
  if (kernel && !atLeast(kernel, "5.9.0")) {
    findings.push({ id: "bypass4netns.kernel", level: "warning", message: `bypass4netns needs kernel >= 5.9 (seccomp notify addfd); this kernel is ${release}.`, fix: "Boot a kernel 5.9 or later (e.g. the distribution's current kernel, or Debian's bookworm-backports)." });
  }
  const [runc, crun] = await Promise.all([versionOf(host, "runc"), versionOf(host, "crun")]);
  const runtimeOk = (runc?.version && atLeast(runc.version, "1.1.0")) || (crun?.version && atLeast(crun.version, "1.6.0"));
  if (!runtimeOk) {
    const found = [runc ? `runc ${runc.version ?? "(unknown version)"}` : "", crun ? `crun ${crun.version ?? "(unknown version)"}` : ""].filter(Boolean).join(", ") || "neither runc nor crun";
    findings.push({ id: "bypass4netns.runtime", level: "warning", message: `bypass4netns needs runc >= 1.1 or crun >= 1.6; found ${found}.`, fix: "Install runc 1.1 or later (Debian 12: `sudo apt-get install runc`) or crun 1.6 or later, or download runc from https://github.com/opencontainers/runc/releases into ~/.local/bin." });
  }
  const seccomp = await libseccompVersion(host, runc?.out ?? "");
  if (!seccomp || !atLeast(seccomp, "2.5.0")) {
    findings.push({ id: "bypass4netns.libseccomp", level: "warning", message: `bypass4netns needs libseccomp >= 2.5; ${seccomp ? `found ${seccomp}` : "libseccomp was not found"}.`, fix: "Install libseccomp 2.5 or later (Debian/Ubuntu: `sudo apt-get install libseccomp2`; Debian 12 ships 2.5.4)." });
  }
  return findings;
}
