// "Checking cgroup v2": unified hierarchy or not, and which controllers systemd delegates to
// the user's manager (user@UID.service). Its cgroup is asked from the manager itself
// (`systemctl --user show -p ControlGroup`, which an unprivileged user may read): WSL 2.9 puts it
// under /wsl-user/..., not /user.slice/user-UID.slice/...; that fixed path is only the fallback.
// Without cgroup v2 (or without cpu/memory/pids) resource limits such as `nerdctl run --memory`
// do not work; containers still run.
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { existsSafe, readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import type { CgroupVersion } from "./facts.ts";
import { systemctl } from "../systemd/units.ts";

/** The user manager's cgroup, e.g. "/user.slice/user-1000.slice/user@1000.service" or "/wsl-user/...": from systemd, else the usual place. */
export async function managerCgroup(ctx: CheckContext): Promise<{ path: string; fromSystemd: boolean }> {
  const r = await systemctl(ctx.host, ["show", "-p", "ControlGroup", "--value"], 5000).catch(() => null);
  const value = r?.code === 0 ? r.stdout.trim() : "";
  if (/^\/\S*$/.test(value) && !value.includes("..")) return { path: value, fromSystemd: true };
  return { path: `/user.slice/user-${ctx.uid}.slice/user@${ctx.uid}.service`, fromSystemd: false };
}

export const WANTED_CONTROLLERS = ["cpu", "memory", "pids", "io", "cpuset"] as const;
const ESSENTIAL = new Set(["cpu", "memory", "pids"]);
const DOC = "https://rootlesscontaine.rs/getting-started/common/cgroup2/";

export const DELEGATE_FIX = [
  "mkdir -p /etc/systemd/system/user@.service.d",
  ["cat > /etc/systemd/system/user@.service.d/delegate.conf <<'EOT'", "[Service]", "Delegate=cpu cpuset io memory pids", "EOT"].join("\n"),
  "systemctl daemon-reload",
];

/**
 * After the drop-in and the reload: the user manager reads which controllers it has when it
 * starts, so it must start again — when its last session ends (without linger), at a restart of
 * user@UID.service, or at a reboot.
 */
export const DELEGATE_THEN = (uid: number) =>
  `restart your user manager, which takes the controllers when it starts: log out of every session and in again (with linger on it keeps running: \`sudo systemctl restart user@${uid}.service\`, which restarts your user services), or reboot; then \`containerd-rootless-systemd check\` lists them as delegated.`;

export async function probeCgroup(ctx: CheckContext): Promise<ProbeResult> {
  const root = await readSafe(ctx, "/sys/fs/cgroup/cgroup.controllers");
  if (root.text === null) {
    const hybrid = await existsSafe(ctx, "/sys/fs/cgroup/unified");
    const version: CgroupVersion = root.error ? "unknown" : hybrid ? "hybrid" : "v1";
    const what = root.error ? `cgroup v2 could not be detected (${root.error})` : `cgroup v2 is not enabled (${hybrid ? "hybrid v1/v2 layout" : "cgroup v1"})`;
    return {
      findings: [
        {
          id: "cgroup.v1",
          level: "warning",
          message: `${what}: resource limits (nerdctl run --memory, --cpus, --pids-limit) will not work; containers run without limits.`,
          fix: `Boot with cgroup v2 (kernel parameter systemd.unified_cgroup_hierarchy=1), see ${DOC}`,
        },
      ],
      facts: { cgroup: version, delegatedControllers: [] },
    };
  }
  const manager = await managerCgroup(ctx);
  const path = `/sys/fs/cgroup${manager.path === "/" ? "" : manager.path}/cgroup.controllers`;
  const user = await readSafe(ctx, path);
  if (user.text === null) {
    return {
      findings: [
        ok("cgroup.v2", "cgroup v2 is enabled"),
        {
          id: "cgroup.delegation.unknown",
          level: "warning",
          message: `The delegated cgroup controllers cannot be read (${user.error ?? `${path} is missing: ${manager.fromSystemd ? "the user manager's cgroup as systemd reports it" : "systemd did not report the user manager's cgroup; is the systemd user manager running?"}`}).`,
        },
      ],
      facts: { cgroup: "v2", delegatedControllers: [] },
    };
  }
  const have = user.text.trim().split(/\s+/).filter(Boolean);
  const absent = WANTED_CONTROLLERS.filter((c) => !have.includes(c));
  const findings: Finding[] = [ok("cgroup.v2", "cgroup v2 is enabled")];
  if (absent.length === 0) findings.push(ok("cgroup.delegation", `Delegated controllers: ${have.join(" ")} (${manager.path})`));
  else {
    const essential = absent.some((c) => ESSENTIAL.has(c));
    findings.push({
      id: "cgroup.delegation.missing",
      level: essential ? "warning" : "info",
      message: `Controllers not delegated to user@${ctx.uid}.service: ${absent.join(" ")} (delegated: ${have.join(" ") || "none"}); limits on them will not work.`,
      sudoFix: DELEGATE_FIX,
      then: DELEGATE_THEN(ctx.uid),
    });
  }
  return { findings, facts: { cgroup: "v2", delegatedControllers: have } };
}
