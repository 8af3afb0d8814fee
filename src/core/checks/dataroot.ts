// The file system under containerd's data root ($XDG_DATA_HOME/containerd, which the launcher
// binds onto /var/lib/containerd): rootless overlayfs needs an upper directory that takes
// user.* xattrs and files owned by sub-ids, which network and FUSE file systems refuse (and
// NFS maps the ids away). The type comes from `stat -f -c %T` of the directory, or of its
// nearest existing parent before the first install (for ext2/3/4, which stat cannot tell apart,
// from the mount table). A `root = "/elsewhere"` in the user's
// config.toml moves the data root there (the same path inside the namespace).
import { dirname, join } from "node:path";
import { parseTOML } from "confbox";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { existsSafe, findTool, readSafe, type CheckContext, type ProbeResult } from "./context.ts";

/** File systems (as `stat -f -c %T` names them) where the overlayfs snapshotter and sub-id owned files fail. */
const BROKEN = /^(nfs\d?|cifs|smb\d?|smb2|smb3|9p|v9fs|fuse.*|ecryptfs|overlay(fs)?|aufs|vboxsf|afs|lustre|gpfs|ceph|glusterfs)$/i;
/** Where it depends on versions: user xattrs on tmpfs need kernel >= 6.6, overlayfs on ZFS needs OpenZFS >= 2.2. */
const DEPENDS: Record<string, string> = {
  tmpfs: "rootless overlayfs on tmpfs needs user xattrs, which tmpfs has from kernel 6.6 on",
  zfs: "overlayfs on ZFS works from OpenZFS 2.2 on",
};

/** The file system type the kernel mounted under `path` (/proc/self/mountinfo: the longest mount point above it), or null. */
async function mountedType(ctx: CheckContext, path: string): Promise<string | null> {
  const info = await readSafe(ctx, "/proc/self/mountinfo");
  let best: { at: string; type: string } | null = null;
  for (const line of (info.text ?? "").split("\n")) {
    const [left, right] = line.split(" - ");
    const at = left?.split(" ")[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const type = right?.split(" ")[0];
    if (!at || !type) continue;
    const under = path === at || path.startsWith(at === "/" ? "/" : `${at}/`);
    if (under && (!best || at.length >= best.at.length)) best = { at, type }; // a later mount on the same point hides the earlier
  }
  return best?.type ?? null;
}

async function nearestExisting(ctx: CheckContext, path: string): Promise<string> {
  let p = path;
  while (p !== "/" && !(await existsSafe(ctx, p))) p = dirname(p);
  return p;
}

/** containerd's data root: config.toml's `root` when it names another absolute path, else $XDG_DATA_HOME/containerd (bound onto /var/lib/containerd). */
export async function dataRoot(ctx: CheckContext): Promise<string> {
  const config = await readSafe(ctx, join(ctx.paths.containerdConfigDir, "config.toml"));
  try {
    const root = (parseTOML(config.text ?? "") as { root?: unknown }).root;
    if (typeof root === "string" && root.startsWith("/") && root.replace(/\/+$/, "") !== "/var/lib/containerd") return root;
  } catch {
    // a broken config.toml: containerd itself says so when it starts; the default applies here
  }
  return ctx.paths.containerdData;
}

export async function probeDataroot(ctx: CheckContext): Promise<ProbeResult> {
  const root = await dataRoot(ctx);
  const stat = await findTool(ctx, "stat");
  if (!stat) return { findings: [] };
  const at = await nearestExisting(ctx, root);
  const r = await ctx.host.run([stat, "-f", "-c", "%T", at], { timeoutMs: 5000 });
  // stat names ext2, ext3 and ext4 alike ("ext2/ext3": they share one magic number); the mount table tells them apart
  const statType = r.stdout.trim();
  const type = statType === "ext2/ext3" ? ((await mountedType(ctx, at)) ?? "ext2/ext3/ext4") : statType;
  if (r.code !== 0 || !type) return { findings: [{ id: "dataroot.unknown", level: "info", message: `The file system of ${at} could not be determined: ${(r.stderr || r.stdout).trim() || `stat exited ${r.code}`}` }] };
  const where = at === root ? root : `${root} (its parent ${at})`;
  const findings: Finding[] = [];
  if (BROKEN.test(type)) {
    findings.push({
      id: "dataroot.filesystem",
      level: "warning",
      message: `containerd's data root ${where} is on ${type}: overlayfs (and the user xattrs and sub-id owned files rootless containerd writes) does not work there; pulls and container starts fail or fall back to slow copies.`,
      fix: `Keep containerd's data on a local file system (ext4, xfs, btrfs): set \`root = "/LOCAL/DISK/${ctx.user}/containerd"\` in ${ctx.paths.containerdConfigDir}/config.toml (a directory you own), then \`systemctl --user restart containerd.service\`; or use \`export CONTAINERD_SNAPSHOTTER=native\` (slow, uses much disk space).`,
    });
  } else if (DEPENDS[type]) {
    findings.push({ id: "dataroot.filesystem", level: "info", message: `containerd's data root ${where} is on ${type}: ${DEPENDS[type]}; with older versions use the fuse-overlayfs or native snapshotter.` });
  } else findings.push(ok("dataroot.filesystem", `containerd's data root ${where} is on ${type}`));
  return { findings };
}
