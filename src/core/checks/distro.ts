// The distribution (from os-release) and how to install a package on it, for the fixes.
import { readSafe, type CheckContext } from "./context.ts";

export interface Distro {
  id: string;
  idLike: string[];
  versionId: string | null;
  prettyName: string | null;
}

export type Family = "debian" | "fedora" | "arch" | "suse" | "alpine";

export function parseOsRelease(text: string): Distro {
  const kv: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    kv[m[1]!] = m[2]!.trim().replace(/^(["'])(.*)\1$/, "$2");
  }
  return {
    id: (kv.ID ?? "linux").toLowerCase(),
    idLike: (kv.ID_LIKE ?? "").toLowerCase().split(/\s+/).filter(Boolean),
    versionId: kv.VERSION_ID ?? null,
    prettyName: kv.PRETTY_NAME ?? null,
  };
}

export function readDistro(ctx: CheckContext): Promise<Distro> {
  return ctx.memo("distro", async () => {
    const etc = await readSafe(ctx, "/etc/os-release");
    const text = etc.text ?? (await readSafe(ctx, "/usr/lib/os-release")).text ?? "";
    return parseOsRelease(text);
  });
}

export function family(d: Distro): Family | null {
  const ids = [d.id, ...d.idLike];
  if (ids.some((i) => i === "debian" || i === "ubuntu")) return "debian";
  if (ids.some((i) => ["fedora", "rhel", "centos", "rocky", "almalinux"].includes(i))) return "fedora";
  if (ids.some((i) => i === "arch")) return "arch";
  if (ids.some((i) => i.includes("suse"))) return "suse";
  if (ids.includes("alpine")) return "alpine";
  return null;
}

/** Package names per family where they differ from the name the checks ask for. */
const PACKAGES: Record<string, Partial<Record<Family, string>>> = {
  uidmap: { debian: "uidmap", fedora: "shadow-utils", arch: "shadow", suse: "shadow", alpine: "shadow-uidmap" },
  mount: { debian: "mount", fedora: "util-linux", arch: "util-linux", suse: "util-linux", alpine: "util-linux" },
  "dbus-user-session": { debian: "dbus-user-session", fedora: "dbus-daemon", arch: "dbus", suse: "dbus-1", alpine: "dbus" },
  "containernetworking-plugins": { arch: "cni-plugins", suse: "cni-plugins", alpine: "cni-plugins" },
};

const INSTALLERS: Record<Family, string> = {
  debian: "apt-get install -y",
  fedora: "dnf install -y",
  arch: "pacman -S --noconfirm",
  suse: "zypper install -y",
  alpine: "apk add",
};

/** The root command that installs a package here, or null when the distribution is unknown. */
export function installLine(d: Distro, pkg: string): string | null {
  const fam = family(d);
  if (!fam) return null;
  const name = PACKAGES[pkg]?.[fam] ?? pkg;
  return `${INSTALLERS[fam]} ${name}`;
}

/** Finding fields for "install this package": a sudo line when we know how, else a hint. */
export function installFix(d: Distro, pkg: string): { fix?: string; sudoFix?: string[] } {
  const line = installLine(d, pkg);
  return line ? { sudoFix: [line] } : { fix: `Install the ${pkg} package with your distribution's package manager.` };
}
