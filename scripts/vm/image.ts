// The disks of the Debian 13 VM that `npm run test:vm` boots (scripts/vm/run.ts):
// - the system disk, built once per recipe (this file's text): a debootstrap'ed trixie with
//   systemd as PID 1, logind, AppArmor, sshd, Debian's rootless-containerd packages, and the
//   user `alice` (uid 1000, subordinate ids) reachable by an ssh key. Its packaging enables the
//   rootful containerd.service, as on any Debian host. Linger is off: the scenarios turn it on.
// - the payload disk, built once per binary (its hash): the compiled binary, a one-layer busybox
//   OCI image (test/e2e/oci-image.ts, no network) and, when found, nerdctl's extras/rootless
//   scripts. The guest mounts it read-only on /opt/crs.
// Both are kept under /var/tmp/crs-vm (CRS_VM_DIR); the VM boots the system disk with
// snapshot=on, so every run starts from the same fresh machine. Needs root.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { debianMirror } from "../other-debian.ts";
import { buildBusyboxImage } from "../../test/e2e/oci-image.ts";

export const VM_DIR = process.env.CRS_VM_DIR ?? "/var/tmp/crs-vm";
export const GUEST_USER = "alice";
export const GUEST_UID = 1000;
/** Where the payload disk is mounted in the guest. */
export const PAYLOAD = "/opt/crs";
export const OCI_IMAGE_REF = "docker.io/library/busybox:crs-e2e";

/** Debian 13's packages a rootless containerd host has, plus sshd and the tools the scenarios read the machine with. */
const PACKAGES = [
  "systemd-sysv", "libpam-systemd", "dbus-user-session", "systemd-container", "udev", "kmod", "openssh-server", "apparmor",
  "iproute2", "procps", "psmisc", "less", "containerd", "rootlesskit", "slirp4netns", "passt", "uidmap", "runc", "crun",
  "fuse-overlayfs", "fuse3", "bypass4netns", "containernetworking-plugins", "iptables",
];

function sh(argv: string[], opts: { quiet?: boolean; env?: Record<string, string> } = {}): void {
  const p = Bun.spawnSync(argv, { stdio: ["ignore", opts.quiet ? "ignore" : "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C", ...opts.env } });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (exit ${p.exitCode})`);
}

const sha256 = (data: string | Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

/** debootstrap's own packages: enough for apt to install the rest in the tree. */
const BASE_INCLUDE = "systemd,dbus,linux-image-amd64";

/** The recipe's identity: the packages and the code that configures the tree (the build steps around them change it rarely: then they bump the suffix). */
export const recipeHash = () => sha256(JSON.stringify(PACKAGES) + BASE_INCLUDE + configure.toString() + "1").slice(0, 12);

export interface SystemDisk {
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  /** the private key that logs in as root and as alice */
  key: string;
}

const systemDisk = (dir: string): SystemDisk => ({ dir, disk: join(dir, "disk.img"), kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img"), key: join(dir, "id_ed25519") });

/** Runs argv in the tree `root` with /proc, /sys, /dev mounted (and unmounted after), services kept from starting. */
function inChroot(root: string, argv: string[]): void {
  const mounts: string[] = [];
  try {
    for (const [what, type, where] of [["proc", "proc", "proc"], ["sys", "sysfs", "sys"], ["/dev", "bind", "dev"], ["devpts", "devpts", "dev/pts"]] as const) {
      sh(type === "bind" ? ["mount", "--bind", what, join(root, where)] : ["mount", "-t", type, what, join(root, where)]);
      mounts.push(join(root, where));
    }
    writeFileSync(join(root, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
    sh(["chroot", root, ...argv]);
  } finally {
    for (const m of mounts.reverse()) Bun.spawnSync(["umount", "-l", m]);
    rmSync(join(root, "usr/sbin/policy-rc.d"), { force: true });
  }
}

/** What makes the tree a bootable, reachable machine with the test user. */
function configure(root: string, dir: string): void {
  const put = (path: string, text: string, mode = 0o644) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text, { mode });
  };
  put("etc/hostname", "trixie\n");
  put("etc/hosts", "127.0.0.1 localhost\n127.0.1.1 trixie\n::1 localhost ip6-localhost ip6-loopback\n");
  put("etc/fstab", `/dev/vda / ext4 rw,errors=remount-ro 0 1\nLABEL=crs-payload ${PAYLOAD} ext4 ro,nofail 0 2\n`);
  put("etc/resolv.conf", "nameserver 10.0.2.3\n");
  // QEMU's user-mode NIC (restrict=on: nothing but the ssh forward reaches the guest, nothing leaves it)
  put("etc/systemd/network/10-qemu.network", "[Match]\nName=en* eth*\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\nDNS=10.0.2.3\n");
  put("etc/ssh/sshd_config.d/crs-vm.conf", "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n");
  rmSync(join(root, "etc/machine-id"), { force: true });
  inChroot(root, ["sh", "-c", [
    "systemd-machine-id-setup >/dev/null",
    "systemctl enable systemd-networkd.service serial-getty@ttyS0.service >/dev/null 2>&1",
    // nothing waits for a network that never comes from outside; timers that only cost boot time
    "systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer >/dev/null 2>&1",
    `useradd -m -u ${GUEST_UID} -s /bin/bash ${GUEST_USER}`,
    `grep -q '^${GUEST_USER}:' /etc/subuid || echo '${GUEST_USER}:100000:65536' >> /etc/subuid`,
    `grep -q '^${GUEST_USER}:' /etc/subgid || echo '${GUEST_USER}:100000:65536' >> /etc/subgid`,
    `mkdir -p ${PAYLOAD}`,
  ].join(" && ")]);
  sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "crs-vm", "-f", join(dir, "id_ed25519")]);
  const pub = readFileSync(join(dir, "id_ed25519.pub"), "utf8");
  for (const [home, owner] of [["root", "0:0"], [`home/${GUEST_USER}`, `${GUEST_UID}:${GUEST_UID}`]]) {
    put(`${home}/.ssh/authorized_keys`, pub, 0o600);
    chmodSync(join(root, home, ".ssh"), 0o700);
    sh(["chown", "-R", owner, join(root, home, ".ssh")]);
  }
}

/** The system disk for this recipe, built when missing (debootstrap, packages, configuration, ext4 image). */
export function ensureSystemDisk(): SystemDisk {
  const dir = join(VM_DIR, `system-${recipeHash()}`);
  if (existsSync(join(dir, "disk.img"))) return systemDisk(dir);
  for (const tool of [["debootstrap", "debootstrap"], ["mkfs.ext4", "e2fsprogs"], ["ssh-keygen", "openssh-client"]]) {
    if (Bun.spawnSync(["which", tool[0]!]).exitCode !== 0) sh(["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", tool[1]!]);
  }
  const started = performance.now();
  const building = join(VM_DIR, `building-${recipeHash()}`);
  rmSync(building, { recursive: true, force: true });
  const root = join(building, "root");
  mkdirSync(building, { recursive: true });
  console.log(`[vm] building the Debian 13 system disk (recipe ${recipeHash()}) in ${building} from ${debianMirror()}`);
  sh(["debootstrap", "--variant=minbase", `--include=${BASE_INCLUDE}`, "trixie", root, debianMirror()], { quiet: true });
  const aptProxy = readdirSync("/etc/apt/apt.conf.d").filter((f) => /proxy/i.test(readFileSync(join("/etc/apt/apt.conf.d", f), "utf8")));
  for (const f of aptProxy) copyFileSync(join("/etc/apt/apt.conf.d", f), join(root, "etc/apt/apt.conf.d", f));
  inChroot(root, ["apt-get", "-o", "Acquire::Retries=3", "-qq", "update"]);
  inChroot(root, ["apt-get", "-o", "Acquire::Retries=3", "-qq", "-y", "--no-install-recommends", "install", ...PACKAGES]);
  inChroot(root, ["apt-get", "clean"]);
  configure(root, building);
  const kernel = readdirSync(join(root, "boot")).find((f) => f.startsWith("vmlinuz-"))!;
  copyFileSync(join(root, "boot", kernel), join(building, "vmlinuz"));
  copyFileSync(join(root, "boot", kernel.replace("vmlinuz", "initrd.img")), join(building, "initrd.img"));
  sh(["mkfs.ext4", "-q", "-L", "crs-root", "-d", root, join(building, "disk.img"), "6G"]);
  // never remove a tree with the host's /dev or /proc still mounted in it
  if (readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => l.split(" ")[1]?.startsWith(`${root}/`))) throw new Error(`${root} still has mounts; not removing it`);
  rmSync(root, { recursive: true, force: true });
  for (const old of readdirSync(VM_DIR).filter((f) => f.startsWith("system-"))) rmSync(join(VM_DIR, old), { recursive: true, force: true });
  renameSync(building, dir);
  console.log(`[vm] system disk ready in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return systemDisk(dir);
}

/** nerdctl's rootless scripts, when this machine has them: CRS_REFERENCE_DIR (as the benchmark), else the VM cache's copy. */
export function nerdctlScriptsDir(): string | null {
  const names = ["containerd-rootless-setuptool.sh", "containerd-rootless.sh"];
  for (const dir of [process.env.CRS_REFERENCE_DIR, join(VM_DIR, "nerdctl-extras-rootless")]) {
    if (dir && names.every((n) => existsSync(join(dir, n)))) return dir;
  }
  return null;
}

/** The payload disk for this binary (built when missing): the binary, the OCI image, nerdctl's scripts when found. */
export function ensurePayloadDisk(binary: string): string {
  const nerdctl = nerdctlScriptsDir();
  const key = sha256(readFileSync(binary)) + (nerdctl ? sha256(readFileSync(join(nerdctl, "containerd-rootless-setuptool.sh")) + readFileSync(join(nerdctl, "containerd-rootless.sh"), "utf8")) : "");
  const disk = join(VM_DIR, `payload-${sha256(key).slice(0, 12)}.img`);
  if (existsSync(disk)) return disk;
  mkdirSync(VM_DIR, { recursive: true });
  // older payloads go (a VM still using one keeps its open file); another run's half-made one (.tmp) stays
  for (const old of readdirSync(VM_DIR).filter((f) => f.startsWith("payload-") && f.endsWith(".img"))) rmSync(join(VM_DIR, old), { force: true });
  const staging = mkdtempSync(join(VM_DIR, "payload-staging-"));
  try {
    copyFileSync(binary, join(staging, "containerd-rootless-systemd"));
    chmodSync(join(staging, "containerd-rootless-systemd"), 0o755);
    buildBusyboxImage(join(staging, "busybox.tar"), OCI_IMAGE_REF);
    chmodSync(join(staging, "busybox.tar"), 0o644);
    if (nerdctl) {
      mkdirSync(join(staging, "nerdctl"));
      for (const n of ["containerd-rootless-setuptool.sh", "containerd-rootless.sh"]) {
        copyFileSync(join(nerdctl, n), join(staging, "nerdctl", n));
        chmodSync(join(staging, "nerdctl", n), 0o755);
      }
    }
    chmodSync(staging, 0o755);
    sh(["mkfs.ext4", "-q", "-L", "crs-payload", "-d", staging, `${disk}.${process.pid}.tmp`, "400M"], { quiet: true });
    renameSync(`${disk}.${process.pid}.tmp`, disk);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return disk;
}
