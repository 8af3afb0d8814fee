// The launcher's second hop, inside RootlessKit's user and mount namespaces: replace the
// copy-up symlinks with bind mounts of the user's own directories (so containerd's fixed
// /run/containerd, /var/lib/containerd and /etc/containerd are the user's), then build the
// `containerd` command for execve.
import type { Host } from "../core/os/host.ts";
import type { Paths } from "../core/os/paths.ts";
import { UserError } from "../core/os/errors.ts";
import { COPY_UP_SYMLINKS, bindMounts } from "../core/containerd/mounts.ts";
import { CHILD_MARKER, SELINUX_MARKER, cleanEnv, type ExecPlan } from "./parent.ts";

export function isChild(host: Host): boolean {
  return host.env[CHILD_MARKER] === "1";
}

async function mount(host: Host, mountPath: string, args: string[]): Promise<void> {
  const r = await host.run([mountPath, ...args], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new UserError(`mount ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim()}`);
}

/** Removes the symlinks, makes the bind mounts, relabels /run on SELinux. */
export async function prepareNamespace(host: Host, paths: Paths): Promise<void> {
  const mountPath = await host.which("mount");
  if (!mountPath) throw new UserError("mount is not installed (not found on PATH)", "Install util-linux.");
  for (const link of COPY_UP_SYMLINKS) {
    if ((await host.stat(link).catch(() => null))?.isSymlink) await host.remove(link);
  }

  const ssl = await host.stat("/etc/ssl").catch(() => null);
  if (ssl?.isSymlink) {
    const real = await host.realpath("/etc/ssl");
    if (real && real !== "/etc/ssl") {
      await host.remove("/etc/ssl");
      await host.mkdirp("/etc/ssl");
      await mount(host, mountPath, ["--rbind", real, "/etc/ssl"]);
    }
  }

  for (const m of bindMounts(paths)) {
    await host.mkdirp(m.source, 0o700);
    await host.mkdirp(m.target);
    await mount(host, mountPath, ["--bind", m.source, m.target]);
  }

  if (host.env[SELINUX_MARKER] === "1") {
    const r = await host.run(["chcon", "system_u:object_r:iptables_var_run_t:s0", "/run"], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new UserError(`chcon of /run failed: ${(r.stderr || r.stdout).trim()}`);
  }
}

/** `containerd [extra args]`, found on PATH, with our markers removed from its environment. */
export async function planChild(host: Host, extraArgs: string[]): Promise<ExecPlan> {
  const containerd = await host.which("containerd");
  if (!containerd) {
    throw new UserError(`containerd is not installed (not found on PATH=${host.env.PATH ?? ""})`, "Install containerd (Debian/Ubuntu: `sudo apt-get install containerd`) or add its directory to the unit's PATH.");
  }
  const env = cleanEnv(host.env);
  delete env[CHILD_MARKER];
  delete env[SELINUX_MARKER];
  return { argv: [containerd, ...extraArgs], env };
}
