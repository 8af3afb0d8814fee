// "Checking RootlessKit functionality": one real RootlessKit run with the seed's flags. Its
// child is a real overlay mount (for "Checking overlayfs"), so both cost one process and no
// shell: the directories are made before and removed after. RootlessKit says whether the
// child ran ("[rootlesskit:child ] error: command [mount ...] exited: exit status 32" when
// the mount failed, seen with RootlessKit 1.1.0 here); any other failure is RootlessKit's own.
import { isAbsolute, join } from "node:path";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { findTool, findToolVersion, readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import { subidFromFilesOnly } from "../os/passwd.ts";

export const SMOKE_FLAGS = ["--disable-host-loopback", "--copy-up=/etc", "--copy-up=/run", "--copy-up=/var/lib"];

/**
 * Sub-ids read by RootlessKit itself from /etc/subuid and /etc/subgid, when getsubids would
 * read only those files too (os/passwd.ts): the same ranges without the four getsubids
 * processes RootlessKit's default (`auto`) runs before the namespace exists. The flag is
 * RootlessKit >= 1.1.0's (docs/subid.md); an older one refuses it and runs again without.
 */
const STATIC_SUBIDS = "--subid-source=static";
const FLAG_UNKNOWN = /flag provided but not defined: -+subid-source/;

/** RootlessKit's line when the child command ran and exited non-zero: RootlessKit itself worked. */
const CHILD_EXITED = /^\[rootlesskit:child ?\] error: command \[mount [^\]]*\] exited: exit status \d+$/m;

export interface SmokeResult {
  /** false when rootlesskit is missing or the test was skipped */
  ran: boolean;
  smokeOk: boolean;
  /** null when the overlay test could not run (RootlessKit itself failed) */
  overlayOk: boolean | null;
  overlayError: string;
  stderr: string;
  code: number;
  argv: string[];
}

interface SmokeCommand {
  argv: string[];
  /** the throwaway lower/upper/work/merged directories, made before the run */
  dir: string;
}

/** The RootlessKit run's command line, its directories made; null when rootlesskit is missing or the test is off. */
export function smokeCommand(ctx: CheckContext): Promise<SmokeCommand | null> {
  return ctx.memo("smoke-command", async () => {
    const [rk, nsswitch] = await Promise.all([findTool(ctx, "rootlesskit"), readSafe(ctx, "/etc/nsswitch.conf")]); // the path is enough: don't wait for --version
    if (!rk || ctx.opts.smokeTest === false) return null;
    const subids = subidFromFilesOnly(nsswitch.text) ? [STATIC_SUBIDS] : [];
    const rt = ctx.host.env.XDG_RUNTIME_DIR;
    const base = rt && isAbsolute(rt) && (await ctx.host.canAccess(rt, "w")) ? rt : "/tmp";
    const dir = join(base, `.crs-overlay.${process.pid}`);
    await Promise.all(["lower", "upper", "work", "merged"].map((d) => ctx.host.mkdirp(join(dir, d), 0o700)));
    const options = `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`;
    return { argv: [rk, ...SMOKE_FLAGS, ...subids, "mount", "-t", "overlay", "-o", options, "overlay", join(dir, "merged")], dir };
  });
}

/**
 * The RootlessKit run, once per check run. Given its command (runChecks does, before any other
 * probe starts), the process is spawned within this call: the slowest probe starts first.
 */
export function runSmoke(ctx: CheckContext, prepared?: SmokeCommand | null): Promise<SmokeResult> {
  return ctx.memo("smoke", async () => {
    const cmd = prepared !== undefined ? prepared : await smokeCommand(ctx);
    const none: SmokeResult = { ran: false, smokeOk: false, overlayOk: null, overlayError: "", stderr: "", code: -1, argv: [] };
    if (!cmd) return none;
    let r = await ctx.host.run(cmd.argv, { timeoutMs: 20000 });
    if (r.code !== 0 && cmd.argv.includes(STATIC_SUBIDS) && FLAG_UNKNOWN.test(r.stderr)) {
      cmd.argv = cmd.argv.filter((a) => a !== STATIC_SUBIDS);
      r = await ctx.host.run(cmd.argv, { timeoutMs: 20000 });
    }
    // the mount died with the namespace; overlay's work/work is mode 000
    await ctx.host.chmod(join(cmd.dir, "work", "work"), 0o700).catch(() => {});
    await ctx.host.remove(cmd.dir, { recursive: true }).catch(() => {});
    const smokeOk = r.code === 0 || CHILD_EXITED.test(r.stderr);
    const mountSaid = r.stderr
      .split("\n")
      .filter((l) => !l.startsWith("[rootlesskit:"))
      .join("\n")
      .trim();
    return {
      ran: true,
      smokeOk,
      overlayOk: r.code === 0 ? true : smokeOk ? false : null,
      overlayError: r.code === 0 ? "" : mountSaid,
      stderr: r.stderr.trim(),
      code: r.code,
      argv: cmd.argv,
    };
  });
}

export async function probeSmoke(ctx: CheckContext): Promise<ProbeResult> {
  const [rk, s] = await Promise.all([findToolVersion(ctx, "rootlesskit"), runSmoke(ctx)]);
  const findings: Finding[] = [];
  if (!rk) {
    findings.push({ id: "rootlesskit.smoke.skipped", level: "info", message: "RootlessKit functionality not tested: rootlesskit is missing." });
  } else if (!s.ran) {
    findings.push({ id: "rootlesskit.smoke.skipped", level: "info", message: "RootlessKit functionality test skipped." });
  } else if (s.smokeOk) {
    findings.push(ok("rootlesskit.smoke", `RootlessKit ${rk.version ?? ""} works (\`rootlesskit ${SMOKE_FLAGS.join(" ")} true\`)`.replace("  ", " ")));
  } else {
    findings.push({
      id: "rootlesskit.smoke.failed",
      level: "error",
      message: `RootlessKit does not work here: \`rootlesskit ${SMOKE_FLAGS.join(" ")} true\` failed (exit ${s.code}).`,
      fix: "RootlessKit's own error is below; the other findings (subuid, newuidmap, sysctl, AppArmor) usually name the cause.",
      detail: s.stderr ? s.stderr.slice(-4000) : "(RootlessKit printed nothing)",
    });
  }
  return { findings, facts: { rootlesskitWorks: s.ran ? s.smokeOk : null } };
}
