// The login session: not root, XDG_RUNTIME_DIR and HOME usable, a reachable systemd user
// manager (and, when it is not, why: no systemd at all, su/sudo without a login session,
// no linger) and a dbus user session.
import { shellQuote } from "../os/shell.ts";
import { parseShowEnvironment, runShowEnvironment, serviceEnvironment, type ServiceEnvironment } from "../systemd/service-environment.ts";
import { isAbsolute, join } from "node:path";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { existsSafe, findTool, lingerEnabled, readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import { installFix, readDistro } from "./distro.ts";

export function rootRefusal(ctx: CheckContext): Finding | null {
  if (ctx.uid !== 0) return null;
  return {
    id: "session.root",
    level: "error",
    message: "Refusing to check rootless containerd as the root user: it runs as an unprivileged user.",
    fix: "Log in as the user who will run containerd (for example `ssh USER@localhost` or `machinectl shell USER@`) and run this again.",
  };
}

type DirState = "ok" | "unset" | "relative" | "missing" | "not-dir" | "foreign" | "open" | "unwritable" | "unreadable";

/** `mustOwn`: the user's own directory with no access for others (0700), as logind makes the runtime dir. */
async function dirState(ctx: CheckContext, value: string | undefined, mustOwn: boolean): Promise<{ state: DirState; owner?: number; mode?: number; error?: string }> {
  if (value === undefined || value === "") return { state: "unset" };
  if (!isAbsolute(value)) return { state: "relative" };
  let st;
  try {
    st = await ctx.host.stat(value);
  } catch (e) {
    return { state: "unreadable", error: (e as Error).message };
  }
  if (!st) return { state: "missing" };
  if (st.isSymlink) {
    const real = await ctx.host.realpath(value);
    const target = real ? await ctx.host.stat(real).catch(() => null) : null;
    if (!target) return { state: "missing" };
    st = target;
  }
  if (!st.isDirectory) return { state: "not-dir" };
  if (mustOwn && st.uid !== ctx.uid) return { state: "foreign", owner: st.uid };
  if (mustOwn && (st.mode & 0o077) !== 0) return { state: "open", mode: st.mode & 0o7777 };
  if (!(await ctx.host.canAccess(value, "w"))) return { state: "unwritable" };
  return { state: "ok" };
}

async function runtimeDirFinding(ctx: CheckContext, state: Awaited<ReturnType<typeof dirState>>): Promise<Finding> {
  const v = ctx.host.env.XDG_RUNTIME_DIR ?? "";
  const expected = `/run/user/${ctx.uid}`;
  const loginHint = `Log in as ${ctx.user} directly (\`ssh ${ctx.user}@localhost\` or \`machinectl shell ${ctx.user}@\`), not with su or sudo.`;
  const id = "session.xdg-runtime-dir";
  switch (state.state) {
    case "ok":
      return ok(id, `XDG_RUNTIME_DIR is ${v}`);
    case "unset": {
      const have = (await ctx.host.stat(expected).catch(() => null))?.uid === ctx.uid;
      return {
        id: `${id}.unset`,
        level: "error",
        message: "XDG_RUNTIME_DIR is not set: this shell has no login session (su and sudo do not create one).",
        fix: have ? `export XDG_RUNTIME_DIR=${expected}` : loginHint,
        ...(have || (await lingerEnabled(ctx)) ? {} : { sudoFix: [`loginctl enable-linger ${shellQuote(ctx.user)}`] }),
      };
    }
    case "relative":
      return { id: `${id}.relative`, level: "error", message: `XDG_RUNTIME_DIR is a relative path (${JSON.stringify(v)}); it must be absolute.`, fix: `export XDG_RUNTIME_DIR=${expected}` };
    case "missing":
      return {
        id: `${id}.missing`,
        level: "error",
        message: `XDG_RUNTIME_DIR (${v}) does not exist.`,
        fix: v === expected ? loginHint : `export XDG_RUNTIME_DIR=${expected}`,
        ...(v === expected && !(await lingerEnabled(ctx)) ? { sudoFix: [`loginctl enable-linger ${shellQuote(ctx.user)}`] } : {}),
      };
    case "not-dir":
      return { id: `${id}.not-dir`, level: "error", message: `XDG_RUNTIME_DIR (${v}) is not a directory.`, fix: `export XDG_RUNTIME_DIR=${expected}` };
    case "foreign":
      return {
        id: `${id}.owner`,
        level: "error",
        message: `XDG_RUNTIME_DIR (${v}) belongs to uid ${state.owner}, not to ${ctx.user} (uid ${ctx.uid}): it is another user's session.`,
        fix: `${loginHint} Then XDG_RUNTIME_DIR is ${expected}.`,
      };
    case "open":
      return {
        id: `${id}.mode`,
        level: "error",
        message: `XDG_RUNTIME_DIR (${v}) has mode 0${state.mode!.toString(8)}: other users can reach the lock and containerd's socket in it; it must be 0700.`,
        fix: v === expected ? `chmod 700 ${expected}` : `export XDG_RUNTIME_DIR=${expected}`,
      };
    case "unwritable":
      return { id: `${id}.unwritable`, level: "error", message: `XDG_RUNTIME_DIR (${v}) is not writable by ${ctx.user}.`, fix: loginHint };
    case "unreadable":
      return { id: `${id}.unreadable`, level: "error", message: `XDG_RUNTIME_DIR cannot be inspected: ${state.error}`, fix: `export XDG_RUNTIME_DIR=${expected}` };
  }
}

/** The user's home directory as getpwuid(3) sees it (`getent passwd UID`: LDAP and SSSD users too; /etc/passwd without getent), or null. */
async function passwdHome(ctx: CheckContext): Promise<string | null> {
  const getent = await ctx.host.run(["getent", "passwd", String(ctx.uid)], { timeoutMs: 5000 }).catch(() => null);
  const passwd = getent?.code === 0 ? getent.stdout : ((await readSafe(ctx, "/etc/passwd")).text ?? "");
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length >= 7 && f[2] === String(ctx.uid)) return f[5] || null;
  }
  return null;
}

async function homeFinding(ctx: CheckContext, state: Awaited<ReturnType<typeof dirState>>): Promise<Finding> {
  const v = ctx.host.env.HOME ?? "";
  const id = "session.home";
  if (state.state === "ok") return ok(id, `HOME is ${v}`);
  const home = await passwdHome(ctx);
  // Root may create or hand over the user's own home, never another directory (HOME=/ must not become `chown USER /`).
  const own = home !== null && home !== "/" && home === v.replace(/(.)\/+$/, "$1");
  const exportHome = home ? `export HOME=${shellQuote(home)}` : `export HOME=<your home directory> (see \`getent passwd ${ctx.user}\`)`;
  const fixIt = (line: string) => (own ? { sudoFix: [line] } : { fix: exportHome });
  switch (state.state) {
    case "unset":
      return { id: `${id}.unset`, level: "error", message: "HOME is not set.", fix: exportHome };
    case "relative":
      return { id: `${id}.relative`, level: "error", message: `HOME is a relative path (${JSON.stringify(v)}); it must be absolute.`, fix: exportHome };
    case "missing":
    case "not-dir":
      return { id: `${id}.missing`, level: "error", message: `HOME (${v}) is not an existing directory.`, ...fixIt(`install -d -m 700 -o ${shellQuote(ctx.user)} ${shellQuote(v)}`) };
    case "foreign":
    case "open":
    case "unwritable":
      return { id: `${id}.unwritable`, level: "error", message: `HOME (${v}) is not writable by ${ctx.user}.`, ...fixIt(`chown ${shellQuote(ctx.user)} ${shellQuote(v)}`) };
    case "unreadable":
      return { id: `${id}.unreadable`, level: "error", message: `HOME cannot be inspected: ${state.error}` };
  }
}

/** Why `systemctl --user` failed, most specific cause first, so su/sudo users don't just read "needs systemd". */
async function diagnoseSystemd(ctx: CheckContext, runtimeOk: boolean, stderr: string): Promise<Finding> {
  const u = ctx.user;
  const linger = await lingerEnabled(ctx);
  const detail = stderr.trim() || undefined;
  if (!(await existsSafe(ctx, "/run/systemd/system"))) {
    return {
      id: "session.systemd.not-booted",
      level: "error",
      message: "This system was not booted with systemd (/run/systemd/system is missing), so there is no systemd user manager to run containerd.service.",
      fix: "Use a machine booted with systemd (PID 1 = systemd); containers and WSL without systemd cannot run user services.",
      detail,
    };
  }
  const viaSudo = ctx.host.env.SUDO_USER ? ` (you switched with sudo from ${ctx.host.env.SUDO_USER})` : "";
  if (!runtimeOk) {
    return {
      id: "session.systemd.no-session",
      level: "error",
      message: `The systemd user manager is unreachable because this shell has no login session${viaSudo || " (su and sudo do not create one)"}.`,
      fix: `Log in as ${u} with \`ssh ${u}@localhost\` or \`machinectl shell ${u}@\`; or enable linger and \`export XDG_RUNTIME_DIR=/run/user/${ctx.uid}\`.`,
      ...(linger ? {} : { sudoFix: [`loginctl enable-linger ${shellQuote(u)}`] }),
      detail,
    };
  }
  const rt = ctx.host.env.XDG_RUNTIME_DIR!;
  // a stopped manager leaves its socket file behind: only a listener counts
  if (!(await ctx.host.unixSocketAccepts(join(rt, "systemd/private")).catch(() => false))) {
    return linger
      ? {
          id: "session.systemd.not-running",
          level: "error",
          message: `Linger is enabled for ${u} but no systemd user manager is running (nothing listens on ${rt}/systemd/private).`,
          sudoFix: [`systemctl start user@${ctx.uid}.service`],
          detail,
        }
      : {
          id: "session.systemd.not-running",
          level: "error",
          message: `No systemd user manager is running for ${u}${viaSudo}: there is no login session and linger is off.`,
          fix: `After enabling linger, log in again (\`ssh ${u}@localhost\`) or \`export XDG_RUNTIME_DIR=/run/user/${ctx.uid}\`.`,
          sudoFix: [`loginctl enable-linger ${shellQuote(u)}`],
          detail,
        };
  }
  return {
    id: "session.systemd.unreachable",
    level: "error",
    message: `\`systemctl --user show-environment\` failed although the user manager listens on ${rt}/systemd/private.`,
    fix: "See `systemctl --user status` and `journalctl --user -n 20` for the user manager's state.",
    detail,
  };
}

async function dbusFinding(ctx: CheckContext, runtimeOk: boolean): Promise<{ finding: Finding; present: boolean }> {
  const addr = ctx.host.env.DBUS_SESSION_BUS_ADDRESS ?? "";
  const fromEnv = /unix:path=([^,;]+)/.exec(addr)?.[1];
  const socket = fromEnv ?? (runtimeOk ? join(ctx.host.env.XDG_RUNTIME_DIR!, "bus") : null);
  if (socket && (await existsSafe(ctx, socket))) return { finding: ok("session.dbus", `dbus user session: ${socket}`), present: true };
  const unitDirs = ["/usr/lib/systemd/user", "/lib/systemd/user", "/etc/systemd/user"];
  const units = await Promise.all(unitDirs.map((d) => existsSafe(ctx, `${d}/dbus.socket`)));
  const why = "runc's systemd cgroup driver needs it (\"Interactive authentication required\" otherwise)";
  if (units.some(Boolean) && !fromEnv && !runtimeOk) {
    // without XDG_RUNTIME_DIR its socket cannot be found: the session finding says what to fix first
    return { finding: ok("session.dbus.unknown", "dbus user session: installed; its socket is checked once XDG_RUNTIME_DIR is fixed"), present: false };
  }
  if (units.some(Boolean)) {
    return {
      finding: { id: "session.dbus.inactive", level: "warning", message: `The dbus user session is installed but not running; ${why}.`, fix: "systemctl --user enable --now dbus.socket" },
      present: false,
    };
  }
  return {
    finding: {
      id: "session.dbus.missing",
      level: "warning",
      message: `No dbus user session (no dbus.socket user unit); ${why}.`,
      fix: "After installing it: systemctl --user enable --now dbus",
      ...installFix(await readDistro(ctx), "dbus-user-session"),
    },
    present: false,
  };
}

/**
 * `systemctl --user show-environment`, once per check run: the session probe and the conflicts probe both read it.
 * The caller's run, when given, unless it could not find systemctl on PATH (this one may be in an sbin directory).
 */
function showEnvironment(ctx: CheckContext, systemctl: string) {
  return ctx.memo("show-environment", async () => {
    const given = await ctx.opts.showEnvironment;
    return given && given.code !== 127 ? given : runShowEnvironment(ctx.host, systemctl);
  });
}

/** The user manager's environment ({} when it does not answer), from the same one run. */
export async function managerEnvironmentOf(ctx: CheckContext): Promise<Record<string, string>> {
  const systemctl = await findTool(ctx, "systemctl");
  if (!systemctl) return {};
  const r = await showEnvironment(ctx, systemctl);
  return r.code === 0 ? parseShowEnvironment(r.stdout) : {};
}

/** What containerd.service's processes get (serviceEnvironment), once per check run, from that same one show-environment. */
export function serviceEnvironmentOf(ctx: CheckContext): Promise<ServiceEnvironment> {
  return ctx.memo("service-environment", async () => serviceEnvironment(ctx.host, ctx.paths, { manager: await managerEnvironmentOf(ctx) }));
}

export async function probeSession(ctx: CheckContext): Promise<ProbeResult> {
  const env = ctx.host.env;
  const [rtState, homeState, systemctl] = await Promise.all([
    dirState(ctx, env.XDG_RUNTIME_DIR, true),
    dirState(ctx, env.HOME, false),
    findTool(ctx, "systemctl"),
  ]);
  const runtimeOk = rtState.state === "ok";
  const findings: Finding[] = [await runtimeDirFinding(ctx, rtState), await homeFinding(ctx, homeState)];

  let systemdUser = false;
  if (!systemctl) {
    findings.push({ id: "session.systemd.missing", level: "error", message: "systemctl was not found: rootless containerd runs as a systemd user service.", fix: "Use a distribution with systemd." });
  } else {
    const r = await showEnvironment(ctx, systemctl);
    systemdUser = r.code === 0;
    findings.push(systemdUser ? ok("session.systemd", "The systemd user manager is reachable") : await diagnoseSystemd(ctx, runtimeOk, r.stderr));
  }
  const dbus = await dbusFinding(ctx, runtimeOk);
  findings.push(dbus.finding);
  return { findings, facts: { systemdUser, dbusSession: dbus.present } };
}
