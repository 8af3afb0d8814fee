// Install/uninstall wall time for `npm run bench` (imported by scripts/bench.ts), or alone:
// `bun scripts/bench-lifecycle.ts` (root; makes its own sandbox user). Each install starts
// from an uninstalled state and each uninstall from an installed one, alternating, so every
// sample does the whole job: checks, copy, unit, start, wait for the API, enable (or the
// reverse). The unchanged re-install is measured too. Reference installer: ~3.2 s (3 s of
// it a fixed sleep); budget for install: <= 0.6 s median.
import type { Sandbox } from "./sandbox.ts";
import { asUser, rowOf, RUNS, sample, type Row, type Sample } from "./bench.ts";

export async function bench(sb: Sandbox, bin: string, runs = Math.min(RUNS, 10)): Promise<Row[]> {
  const install = asUser(sb, [bin, "install", "--yes"]);
  const uninstall = asUser(sb, [bin, "uninstall", "--yes"]);
  const installs: Sample[] = [];
  const uninstalls: Sample[] = [];
  const unchanged: Sample[] = [];
  sample(uninstall, sb.home);
  sample(install, sb.home); // warm the page cache
  sample(uninstall, sb.home);
  for (let i = 0; i < runs; i++) {
    installs.push(sample(install, sb.home));
    unchanged.push(sample(install, sb.home));
    uninstalls.push(sample(uninstall, sb.home));
  }
  return [
    rowOf("install --yes (fresh)", installs, "<= 600 ms (reference ~3200 ms)"),
    rowOf("install --yes (unchanged)", unchanged),
    rowOf("uninstall --yes", uninstalls, "reference ~90 ms"),
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
