// Things already on the machine that get in the way: a rootful containerd whose socket this
// user can reach (clients may talk to the wrong daemon) or whose root-only /etc/cni/net.d keeps
// rootless containerd's CRI plugin from loading, and a rootless containerd that is already
// running but was not started by this tool's containerd.service.
import { join } from "node:path";
import { parseTOML } from "confbox";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { BINARY_NAME, CONTAINERD_UNIT, unitPath } from "../os/paths.ts";
import { existsSafe, readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import { serviceStateDir } from "../containerd/ready.ts";
import { containerdVersion } from "../containerd/api.ts";
import { managerEnvironmentOf } from "./session.ts";

export const ROOTFUL_SOCKET = "/run/containerd/containerd.sock";

async function rootful(ctx: CheckContext): Promise<Finding | null> {
  if (!(await existsSafe(ctx, ROOTFUL_SOCKET))) return null;
  if (!(await ctx.host.canAccess(ROOTFUL_SOCKET, "w"))) {
    return ok("conflicts.rootful", `A rootful containerd socket exists (${ROOTFUL_SOCKET}) but ${ctx.user} cannot reach it`);
  }
  return {
    id: "conflicts.rootful.reachable",
    level: "warning",
    message: `The rootful containerd socket ${ROOTFUL_SOCKET} is reachable by ${ctx.user}: clients given that address talk to the rootful daemon (as root), not to rootless containerd.`,
    fix: "Use `nerdctl` (it picks the rootless socket by itself) and do not set CONTAINERD_ADDRESS to the rootful socket; an administrator may restrict the socket's group.",
  };
}

/** The rootless containerd (if any) behind a RootlessKit state dir, and whether our unit started it. */
async function rootless(ctx: CheckContext): Promise<{ finding: Finding | null; running: boolean }> {
  // the service's view (its drop-ins, environment files, manager environment), not this process's
  const stateDir = await serviceStateDir(ctx.host, ctx.paths, { manager: await managerEnvironmentOf(ctx) }).catch(() => ctx.paths.rootlesskitStateDir);
  const [pidFile, socket, unit] = await Promise.all([
    readSafe(ctx, join(stateDir, "child_pid")),
    existsSafe(ctx, ctx.paths.containerdSocket),
    readSafe(ctx, unitPath(ctx.paths, CONTAINERD_UNIT)),
  ]);
  const pid = /^\d+$/.test(pidFile.text?.trim() ?? "") ? Number(pidFile.text!.trim()) : null;
  const alive = pid !== null && pid > 0 && (await existsSafe(ctx, `/proc/${pid}`));
  if (!alive) {
    if (!socket) return { finding: null, running: false };
    const api = await containerdVersion(ctx.host, ctx.paths.containerdSocket).catch((e: Error) => ({ ok: false as const, detail: e.message }));
    if (api.ok) {
      return {
        finding: {
          id: "conflicts.rootless.foreign",
          level: "warning",
          message: `A containerd (${api.server.version}) already answers on ${ctx.paths.containerdSocket}, but no RootlessKit child is alive in ${stateDir}: it was not started by ${BINARY_NAME}.`,
          fix: `Stop it before installing, or both will fight over ${ctx.paths.containerdSocket}.`,
        },
        running: true,
      };
    }
    // containerd unlinks whatever is at its socket path when it starts (sys/socket_unix.go, CreateUnixSocket)
    return {
      finding: { id: "conflicts.rootless.stale-socket", level: "info", message: `${ctx.paths.containerdSocket} exists but no containerd answers on it (${api.detail}) and no RootlessKit child is alive in ${stateDir}: containerd replaces it when it starts.` },
      running: false,
    };
  }
  const [cgroupFile, statFile] = await Promise.all([readSafe(ctx, `/proc/${pid}/cgroup`), readSafe(ctx, `/proc/${pid}/stat`)]);
  const cgroup = cgroupFile.text ?? "";
  // /proc/PID/stat: "pid (comm) state ppid ..."; comm may contain spaces and parentheses.
  const ppid = /\)\s+\S+\s+(\d+)/.exec(statFile.text?.slice(statFile.text.lastIndexOf(")")) ?? "")?.[1];
  const underUnit = cgroup.split("\n").some((l) => l.endsWith(`/${CONTAINERD_UNIT}`));
  const ours = underUnit && (unit.text ?? "").includes(BINARY_NAME);
  if (ours) return { finding: ok("conflicts.rootless", `Rootless containerd is running under ${CONTAINERD_UNIT} (installed by ${BINARY_NAME})`), running: true };
  if (underUnit) {
    // install takes that unit over: it writes its own containerd.service (the other one kept in its
    // backups) and restarts containerd under it, so there is nothing to stop first
    return {
      finding: {
        id: "conflicts.rootless.foreign",
        level: "info",
        message: `A rootless containerd is already running (RootlessKit child pid ${pid}, state dir ${stateDir}) under a ${CONTAINERD_UNIT} from another installer, not ${BINARY_NAME}: \`install\` replaces that unit (the old one is kept in its backups, the diff shows the change) and restarts containerd under the new one; your images and containers stay.`,
      },
      running: true,
    };
  }
  return {
    finding: {
      id: "conflicts.rootless.foreign",
      level: "warning",
      message: `A rootless containerd is already running (RootlessKit child pid ${pid}, state dir ${stateDir}), started by a process outside any containerd.service, not by ${BINARY_NAME}.`,
      fix: `Stop it before installing${ppid ? ` (its RootlessKit is pid ${ppid}: \`kill ${ppid}\`)` : ""}, or both will fight over ${ctx.paths.containerdSocket}.`,
    },
    running: true,
  };
}

export const CNI_CONF_DIR = "/etc/cni/net.d";
const CRI_PLUGINS = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime"]; // containerd 1.x, 2.x

/** Whether the user's config.toml gives the CRI plugin a CNI conf dir of its own, or turns CRI off. */
async function criConfDirSet(ctx: CheckContext): Promise<boolean> {
  try {
    const doc = parseTOML((await readSafe(ctx, join(ctx.paths.containerdConfigDir, "config.toml"))).text ?? "") as { disabled_plugins?: unknown; plugins?: Record<string, { cni?: { conf_dir?: unknown } }> };
    const disabled = Array.isArray(doc.disabled_plugins) ? doc.disabled_plugins : [];
    return CRI_PLUGINS.some((p) => disabled.includes(p) || typeof doc.plugins?.[p]?.cni?.conf_dir === "string");
  } catch {
    return false; // a broken config.toml: containerd's own check says so
  }
}

/**
 * A rootful containerd's CRI plugin creates /etc/cni/net.d with mode 0700 (Debian enables one on
 * install). Rootless containerd sees the host's /etc (copied up), its CRI plugin cannot watch that
 * directory and does not load: "failed to load plugin io.containerd.grpc.v1.cri" ... "failed to
 * watch cni conf dir /etc/cni/net.d: permission denied" (containerd 1.7.24, seen in a Debian 13 VM).
 */
async function cniConfDir(ctx: CheckContext): Promise<Finding | null> {
  if (!(await existsSafe(ctx, CNI_CONF_DIR))) return null;
  if ((await ctx.host.canAccess(CNI_CONF_DIR, "r")) && (await ctx.host.canAccess(CNI_CONF_DIR, "x"))) return null;
  if (await criConfDirSet(ctx)) return null;
  return {
    id: "conflicts.cni-conf-dir",
    level: "warning",
    message: `${CNI_CONF_DIR} is readable only by root (a rootful containerd creates it so): rootless containerd's CRI plugin cannot watch it and does not load ("failed to watch cni conf dir ${CNI_CONF_DIR}: permission denied" in its log), so CRI clients such as crictl or a kubelet cannot use it. nerdctl keeps its own CNI configuration and is not affected.`,
    fix: `Or, without root: give the rootless CRI plugin a directory of its own in ${join(ctx.paths.containerdConfigDir, "config.toml")} (containerd 1.x: \`[plugins."io.containerd.grpc.v1.cri".cni]\` with \`conf_dir = "${join(ctx.paths.configHome, "cni/net.d")}"\`; 2.x: the same under \`[plugins."io.containerd.cri.v1.runtime".cni]\`), then \`systemctl --user restart containerd.service\`.`,
    sudoFix: [`chmod 755 ${CNI_CONF_DIR}`],
    then: "`systemctl --user restart containerd.service`: its CRI plugin loads when containerd starts.",
  };
}

export async function probeConflicts(ctx: CheckContext): Promise<ProbeResult> {
  const [a, b, c] = await Promise.all([rootful(ctx), rootless(ctx), cniConfDir(ctx)]);
  const findings = [a, b.finding, c].filter((f): f is Finding => f !== null);
  return { findings, facts: { rootlessContainerdRunning: b.running } };
}
