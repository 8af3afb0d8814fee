// Install/uninstall wall time for `npm run bench` (imported by scripts/bench.ts), or alone:
// `bun scripts/bench-lifecycle.ts` (root; makes its own sandbox user). Each install starts
// from an uninstalled state and each uninstall from an installed one, alternating, so every
// sample does the whole job: checks, copy, unit, start, wait for the API, enable (or the
// reverse). The unchanged re-install is measured too. With CRS_REFERENCE_DIR the reference
// installer's install and uninstall are measured the same way in the same run (at least 7
// runs each; its install sleeps 3 s), and every row is printed as a ratio to it; otherwise its
// documented figures stand in. The floor is containerd's own start-up: `systemctl --user
// restart containerd.service` until the API first answers (polled every 20 ms through
// nsenter, as install's wait does), timed the same way as the other rows.
import type { Sandbox } from "./sandbox.ts";
import { asUser, documented, referenceArgv, referenceDir, rowOf, RUNS, sample, type Row, type Sample } from "./bench.ts";

/** Alternating fresh installs and uninstalls (and, when given, an unchanged re-install in between). */
function cycle(sb: Sandbox, install: string[], uninstall: string[], runs: number, unchanged?: Sample[]): { installs: Sample[]; uninstalls: Sample[] } {
  const installs: Sample[] = [];
  const uninstalls: Sample[] = [];
  sample(uninstall, sb.home);
  sample(install, sb.home); // warm the page cache
  sample(uninstall, sb.home);
  for (let i = 0; i < runs; i++) {
    installs.push(sample(install, sb.home));
    if (unchanged) unchanged.push(sample(install, sb.home));
    uninstalls.push(sample(uninstall, sb.home));
  }
  return { installs, uninstalls };
}

const REFERENCE_RUNS = Math.max(7, Number(process.env.BENCH_REFERENCE_RUNS ?? 7));

function referenceRows(sb: Sandbox): [Row, Row] {
  const dir = referenceDir();
  if (!dir) return [documented("reference: setuptool.sh install", 3200), documented("reference: setuptool.sh uninstall", 90)];
  const { installs, uninstalls } = cycle(sb, referenceArgv(sb, dir, "install"), referenceArgv(sb, dir, "uninstall"), REFERENCE_RUNS);
  return [rowOf("reference: setuptool.sh install", installs), rowOf("reference: setuptool.sh uninstall", uninstalls)];
}

/** containerd's own start-up, with containerd installed: restart, then poll the API as install's wait does. */
const FLOOR_SCRIPT = `systemctl --user restart containerd.service || exit 1
sock="$XDG_RUNTIME_DIR/containerd/containerd.sock"; pidfile="$XDG_RUNTIME_DIR/containerd-rootless/child_pid"
until [ -S "$sock" ] && nsenter --no-fork --preserve-credentials -m -U -n -t "$(cat "$pidfile" 2>/dev/null || echo 0)" -- ctr --address "$sock" version >/dev/null 2>&1; do sleep 0.02; done`;

function floorRow(sb: Sandbox, bin: string, runs: number): Row {
  const install = asUser(sb, [bin, "install", "--yes", "--no-verify"]);
  sample(install, sb.home);
  const restart = asUser(sb, ["sh", "-c", FLOOR_SCRIPT]);
  // the unit allows 3 starts a minute (StartLimitBurst): clear the count before each, untimed
  const resetFailed = asUser(sb, ["systemctl", "--user", "reset-failed", "containerd.service"]);
  const once = () => (sample(resetFailed, sb.home), sample(restart, sb.home));
  once(); // warm
  const row = rowOf("floor: restart until the API answers", Array.from({ length: runs }, once));
  sample(asUser(sb, [bin, "uninstall", "--yes"]), sb.home);
  return row;
}

export async function bench(sb: Sandbox, bin: string, runs = Math.max(7, Math.min(RUNS, 10))): Promise<Row[]> {
  const [refInstall, refUninstall] = referenceRows(sb);
  const unchanged: Sample[] = [];
  // install's own work: the verify a changing install ends with is measured by bench-verify.ts
  const { installs, uninstalls } = cycle(sb, asUser(sb, [bin, "install", "--yes", "--no-verify"]), asUser(sb, [bin, "uninstall", "--yes"]), runs, unchanged);
  const floor = floorRow(sb, bin, runs);
  return [
    { ...rowOf("install --yes --no-verify (fresh)", installs, "<= 0.12x ref, <= 1.6x floor"), reference: refInstall, floor },
    { ...rowOf("install --yes (unchanged)", unchanged, "<= 0.04x ref install"), reference: refInstall },
    refInstall,
    floor,
    { ...rowOf("uninstall --yes", uninstalls, "<= 1.0x ref"), reference: refUninstall },
    refUninstall,
  ];
}

if (import.meta.main) {
  const { createSandbox } = await import("./sandbox.ts");
  const sb = await createSandbox("crslc-bench" + (process.env.CRS_E2E_SUFFIX ?? ""));
  try {
    const rows = await bench(sb, sb.installBinary("dist/containerd-rootless-systemd"), RUNS);
    for (const r of rows) {
      const ratios = [r.reference ? `${(r.medianMs / r.reference.medianMs).toFixed(3)}x ref` : "", r.floor ? `${(r.medianMs / r.floor.medianMs).toFixed(2)}x floor` : ""].filter(Boolean).join(", ");
      console.log(`${r.name.padEnd(38)} median ${r.medianMs.toFixed(0).padStart(5)} ms  runs ${r.runs}  ${ratios}  ${r.budget ?? ""}  ${r.note}`);
    }
  } finally {
    await sb.destroy();
  }
}
