// "Checking overlayfs": the real mount inside RootlessKit (run by smoke.ts), the seed's kernel
// rule (>= 5.13 on any distro, >= 5.11 without SELinux, Ubuntu kernels since 2015) and the
// SELinux state decide the snapshotter: overlayfs, else fuse-overlayfs, else native.
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { atLeast, parseVersion } from "../os/version.ts";
import { existsSafe, findToolVersion, readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import { installFix, readDistro } from "./distro.ts";
import type { Snapshotter } from "./facts.ts";
import { runSmoke } from "./smoke.ts";

export interface KernelFacts {
  release: string | null;
  version: string | null;
  ubuntu: boolean;
  selinux: boolean;
}

/** The seed's rule for overlayfs in a user namespace. */
export function overlayKernelRule(k: KernelFacts): boolean {
  if (k.ubuntu) return true;
  if (!k.version) return false;
  return atLeast(k.version, "5.13.0") || (!k.selinux && atLeast(k.version, "5.11.0"));
}

/** The kernel facts the seed's rule needs, through any reader (check's memoised one, or a plain host's). */
export async function kernelFacts(read: (path: string) => Promise<string | null>, exists: (path: string) => Promise<boolean>): Promise<KernelFacts> {
  const [rel, ver, sig, enforce] = await Promise.all([read("/proc/sys/kernel/osrelease"), read("/proc/version"), exists("/proc/version_signature"), read("/sys/fs/selinux/enforce")]);
  const release = rel?.trim() || null;
  return { release, version: release ? parseVersion(release) : null, ubuntu: sig || /ubuntu/i.test(ver ?? ""), selinux: enforce !== null };
}

export async function readKernel(ctx: CheckContext): Promise<KernelFacts> {
  return ctx.memo("kernel", () => kernelFacts((p) => readSafe(ctx, p).then((r) => r.text), (p) => existsSafe(ctx, p)));
}

/** The seed's rule and its Fedora hint together: whether rootless overlayfs is expected to work on this kernel. */
export function overlayExpected(k: KernelFacts): boolean {
  return overlayKernelRule(k) && !(k.selinux && k.version !== null && !atLeast(k.version, "5.13.0"));
}

export async function probeOverlayfs(ctx: CheckContext): Promise<ProbeResult> {
  // fuse-overlayfs is looked up whatever overlayfs does (beside the smoke test): its facts say what is installed
  const [kernel, smoke, distro, fuse] = await Promise.all([readKernel(ctx), runSmoke(ctx), readDistro(ctx), findToolVersion(ctx, "fuse-overlayfs")]);
  const rule = overlayKernelRule(kernel);
  const findings: Finding[] = [];
  const kdesc = `kernel ${kernel.release ?? "unknown"}${kernel.selinux ? ", SELinux enabled" : ""}`;

  if (smoke.overlayOk === true) findings.push(ok("overlayfs.mount", `A test overlay mount inside RootlessKit works (${kdesc})`));
  else if (smoke.overlayOk === false) {
    findings.push({
      id: "overlayfs.mount.failed",
      level: "warning",
      message: `A test overlay mount inside RootlessKit failed (${kdesc}): the overlayfs snapshotter will not work.`,
      detail: smoke.overlayError || undefined,
    });
  }
  if (!rule) {
    findings.push({
      id: "overlayfs.kernel",
      level: smoke.overlayOk === true ? "info" : "warning",
      message: `Rootless overlayfs needs kernel >= 5.13 (>= 5.11 without SELinux, or an Ubuntu kernel); this is ${kdesc}.`,
    });
  }
  // The seed's Fedora hint: a test mount may work, yet overlayfs under SELinux needs 5.13.
  const fedoraHint = kernel.selinux && kernel.version !== null && !atLeast(kernel.version, "5.13.0");
  if (fedoraHint) {
    findings.push({ id: "overlayfs.selinux-hint", level: "info", message: "Hint to Fedora users: SELinux is enabled and the kernel is older than 5.13, so use fuse-overlayfs instead of overlayfs." });
  }

  // Otherwise the real mount wins; the kernel rule decides only when the mount could not be tried.
  const overlayWorks = !fedoraHint && (smoke.overlayOk ?? rule);
  const fuseUsable = !overlayWorks && fuse !== null && (await ctx.host.canAccess("/dev/fuse", "w"));
  const snapshotter: Snapshotter = overlayWorks ? "overlayfs" : fuseUsable ? "fuse-overlayfs" : "native";
  if (snapshotter === "overlayfs") findings.push({ id: "overlayfs.snapshotter", level: "info", message: "Recommended snapshotter: overlayfs" });
  else if (snapshotter === "fuse-overlayfs") {
    findings.push({
      id: "overlayfs.snapshotter",
      level: "info",
      message: "Recommended snapshotter: fuse-overlayfs",
      fix: "Install the fuse-overlayfs add-on, then `export CONTAINERD_SNAPSHOTTER=fuse-overlayfs` (if it does not work: `export CONTAINERD_SNAPSHOTTER=native`).",
    });
  } else {
    const fuseWhy = fuse ? "/dev/fuse is not accessible" : "fuse-overlayfs is not installed";
    const sudoFix = fuse ? ["chmod 666 /dev/fuse"] : installFix(distro, "fuse-overlayfs").sudoFix;
    findings.push({
      id: "overlayfs.snapshotter",
      level: "warning",
      message: `Recommended snapshotter: native (slow, uses much disk space): overlayfs does not work and ${fuseWhy}.`,
      fix: "`export CONTAINERD_SNAPSHOTTER=native`, or make fuse-overlayfs usable and install the fuse-overlayfs add-on.",
      sudoFix,
    });
  }
  return {
    findings,
    facts: {
      kernelRelease: kernel.release,
      kernelVersion: kernel.version,
      ubuntuKernel: kernel.ubuntu,
      selinux: kernel.selinux,
      overlayMountWorks: smoke.overlayOk,
      overlayKernelRule: rule,
      snapshotter,
      distro,
      tools: { fuseOverlayfs: fuse },
    },
  };
}
