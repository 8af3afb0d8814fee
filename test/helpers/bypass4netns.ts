// What a container needs to have its sockets handled by bypass4netns, as nerdctl arranges it:
// its seccomp profile gets a SCMP_ACT_NOTIFY rule for the syscalls bypass4netns handles, first,
// and the listener path of the bypass4netns that bypass4netnsd started for it
// (rootless-containers/bypass4netns v0.4.1, pkg/oci/oci.go: SyscallsToBeNotified and
// TranslateSeccompProfile; nerdctl passes that profile to runc).

/** pkg/oci/oci.go's SyscallsToBeNotified at v0.4.1. */
export const SYSCALLS_TO_BE_NOTIFIED = ["bind", "close", "connect", "setsockopt", "fcntl", "_exit", "exit_group", "getpeername"];

interface Syscall {
  names: string[];
  action: string;
  [key: string]: unknown;
}

/**
 * An OCI spec from `ctr oci spec` (`base`) for `args` on the root file system `rootfs`, without
 * cgroups (this host's cgroup v1, as the other e2e containers); with `listener`, its seccomp
 * profile translated as TranslateSeccompProfile does: the notified syscalls taken out of the
 * other rules and one SCMP_ACT_NOTIFY rule for them put first, and the listener path set.
 */
export function bypass4netnsSpec(base: any, rootfs: string, args: string[], listener?: string): any {
  const spec = structuredClone(base);
  delete spec.linux.resources;
  delete spec.linux.cgroupsPath;
  spec.process.terminal = false;
  spec.process.args = args;
  spec.root = { path: rootfs, readonly: false };
  if (listener) {
    const seccomp = spec.linux.seccomp ?? { defaultAction: "SCMP_ACT_ALLOW" };
    const rules = ((seccomp.syscalls ?? []) as Syscall[]).map((r) => ({ ...r, names: r.names.filter((n) => !SYSCALLS_TO_BE_NOTIFIED.includes(n)) }));
    spec.linux.seccomp = { ...seccomp, listenerPath: listener, syscalls: [{ names: SYSCALLS_TO_BE_NOTIFIED, action: "SCMP_ACT_NOTIFY" }, ...rules] };
  }
  return spec;
}
