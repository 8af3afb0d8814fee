// "Checking RootlessKit functionality": one real RootlessKit run with the seed's flags. Its
// child also tries a real overlay mount (for "Checking overlayfs"), so both cost one process.
// The child prints markers; RootlessKit's own stderr is kept for the diagnosis.
import { isAbsolute } from "node:path";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { findTool, findToolVersion, type CheckContext, type ProbeResult } from "./context.ts";

export const SMOKE_FLAGS = ["--disable-host-loopback", "--copy-up=/etc", "--copy-up=/run", "--copy-up=/var/lib"];

const SMOKE_OK = "crs-smoke-ok";
const OVERLAY_OK = "crs-overlay-ok";
const OVERLAY_FAILED = "crs-overlay-failed:";

/**
 * Runs inside the namespace as the mapped root: mount a throwaway overlay, report, clean up.
 * Few programs on purpose (mkdir, mount, umount, rm): each exec costs time on a small VM.
 */
const CHILD_SCRIPT = `echo ${SMOKE_OK}
d="$1/.crs-overlay.$$"
mkdir -p "$d/lower" "$d/upper" "$d/work" "$d/merged" || { echo "${OVERLAY_FAILED} cannot create $d"; exit 0; }
echo x > "$d/lower/probe"
if out=$(mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/merged" 2>&1) && [ -f "$d/merged/probe" ]; then
  echo ${OVERLAY_OK}; umount "$d/merged"
else
  echo "${OVERLAY_FAILED} $out"
fi
rm -rf "$d"`;

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

export function runSmoke(ctx: CheckContext): Promise<SmokeResult> {
  return ctx.memo("smoke", async () => {
    const rk = await findTool(ctx, "rootlesskit"); // the path is enough: don't wait for --version
    const none: SmokeResult = { ran: false, smokeOk: false, overlayOk: null, overlayError: "", stderr: "", code: -1, argv: [] };
    if (!rk || ctx.opts.smokeTest === false) return none;
    const rt = ctx.host.env.XDG_RUNTIME_DIR;
    const base = rt && isAbsolute(rt) && (await ctx.host.canAccess(rt, "w")) ? rt : "/tmp";
    const argv = [rk, ...SMOKE_FLAGS, "/bin/sh", "-c", CHILD_SCRIPT, "sh", base];
    const r = await ctx.host.run(argv, { timeoutMs: 20000 });
    const lines = r.stdout.split("\n");
    const smokeOk = lines.includes(SMOKE_OK);
    const failed = lines.find((l) => l.startsWith(OVERLAY_FAILED));
    return {
      ran: true,
      smokeOk,
      overlayOk: !smokeOk ? null : lines.includes(OVERLAY_OK) ? true : failed !== undefined ? false : null,
      overlayError: failed?.slice(OVERLAY_FAILED.length).trim() ?? "",
      stderr: r.stderr.trim(),
      code: r.code,
      argv,
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
