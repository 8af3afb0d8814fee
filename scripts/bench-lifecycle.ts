// Install/uninstall wall time for `npm run bench` (imported by scripts/bench.ts), or alone:
// `bun scripts/bench-lifecycle.ts` (root; makes its own sandbox user). Each install starts
// from an uninstalled state and each uninstall from an installed one, alternating, so every
// sample does the whole job: checks, copy, unit, start, wait for the API, enable (or the
// reverse). The unchanged re-install is measured too. With CRS_REFERENCE_DIR the reference
// installer's install and uninstall are measured the same way (fewer runs: its install
// sleeps 3 s); otherwise its documented figures stand in. Budget for install: <= 0.6 s median.
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

function referenceRows(sb: Sandbox): [Row, Row] {
  const dir = referenceDir();
  if (!dir) return [documented("reference: setuptool.sh install", 3200), documented("reference: setuptool.sh uninstall", 90)];
  const { installs, uninstalls } = cycle(sb, referenceArgv(sb, dir, "install"), referenceArgv(sb, dir, "uninstall"), 3);
  return [rowOf("reference: setuptool.sh install", installs), rowOf("reference: setuptool.sh uninstall", uninstalls)];
}

export async function bench(sb: Sandbox, bin: string, runs = Math.min(RUNS, 10)): Promise<Row[]> {
  const [refInstall, refUninstall] = referenceRows(sb);
  const unchanged: Sample[] = [];
  const { installs, uninstalls } = cycle(sb, asUser(sb, [bin, "install", "--yes"]), asUser(sb, [bin, "uninstall", "--yes"]), runs, unchanged);
  return [
    { ...rowOf("install --yes (fresh)", installs, "<= 600 ms"), reference: refInstall },
    rowOf("install --yes (unchanged)", unchanged),
    refInstall,
    { ...rowOf("uninstall --yes", uninstalls), reference: refUninstall },
    refUninstall,
  ];
}

if (import.meta.main) {
  const { createSandbox } = await import("./sandbox.ts");
  const sb = await createSandbox("crslc-bench");
  try {
    const rows = await bench(sb, sb.installBinary("dist/containerd-rootless-systemd"), RUNS);
    for (const r of rows) console.log(`${r.name.padEnd(28)} median ${r.medianMs.toFixed(0).padStart(5)} ms  peak RSS ${r.peakRssMB.toFixed(1)} MB  runs ${r.runs}  ${r.budget ?? ""}  ${r.note}`);
  } finally {
    await sb.destroy();
  }
}
