// `verify` for `npm run bench` (imported by scripts/bench.ts), or alone: `bun scripts/bench-verify.ts`
// (root; makes its own sandbox user). With containerd installed: the median of `verify --json`
// (its wall time and peak RSS, every probe run for real), each probe's median time from the
// start until it concluded and the phases (the image in, the main container's agent answering,
// all removed again), taken from the reports themselves; then what verify adds to a fresh
// install: `install --yes` (which ends with verify) against `install --yes --no-verify`,
// alternating with uninstalls.
import type { Sandbox } from "./sandbox.ts";
import { asUser, median, rowOf, RUNS, sample, type Row, type Sample } from "./bench.ts";

interface Report {
  ok: boolean;
  ms: number;
  phases: Record<string, number | null>;
  probes: { id: string; status: string; ms: number }[];
}

export async function bench(sb: Sandbox, bin: string, runs = Math.max(7, Math.min(RUNS, 11))): Promise<Row[]> {
  const run = (args: string[]) => asUser(sb, [bin, ...args]);
  sample(run(["install", "--yes", "--no-verify"]), sb.home);
  const verify = run(["verify", "--json"]);
  sample(verify, sb.home); // warm
  const samples: Sample[] = [];
  const reports: Report[] = [];
  for (let i = 0; i < runs; i++) {
    // the wall time and RSS of the process as a user runs it; its report gives the per-probe and phase times
    const s = sample(verify, sb.home);
    samples.push(s);
    reports.push(JSON.parse(s.stdout ?? "{}") as Report);
  }
  const statuses = [...new Set(reports.flatMap((r) => r.probes.map((p) => `${p.id} ${p.status}`)))].join(", ");
  const rows: Row[] = [{ ...rowOf("verify --json (every probe)", samples, "<= 2000 ms"), note: `exit ${[...new Set(samples.map((s) => s.code))].join("/")}; ${statuses}` }];
  for (const id of reports[0]!.probes.map((p) => p.id)) {
    const times = reports.map((r) => r.probes.find((p) => p.id === id)!.ms);
    rows.push({ name: `  verify: ${id} concluded after`, medianMs: median(times), peakRssMB: 0, runs: times.length });
  }
  for (const phase of ["image", "container", "probes", "cleanup"]) {
    const times = reports.map((r) => r.phases[phase]).filter((t): t is number => typeof t === "number");
    if (times.length) rows.push({ name: `  verify phase: ${phase} done after`, medianMs: median(times), peakRssMB: 0, runs: times.length });
  }
  // a fresh install with and without the verify it ends with, alternating (each from an uninstalled state)
  const uninstall = run(["uninstall", "--yes"]);
  const withVerify: Sample[] = [];
  const without: Sample[] = [];
  for (let i = 0; i < Math.max(7, Math.min(runs, 9)); i++) {
    sample(uninstall, sb.home);
    withVerify.push(sample(run(["install", "--yes"]), sb.home));
    sample(uninstall, sb.home);
    without.push(sample(run(["install", "--yes", "--no-verify"]), sb.home));
  }
  sample(uninstall, sb.home);
  const a = rowOf("install --yes (fresh, ends with verify)", withVerify);
  const b = rowOf("install --yes --no-verify (fresh)", without);
  return [...rows, { ...a, note: `${a.note}; verify adds ${(a.medianMs - b.medianMs).toFixed(0)} ms` }, b];
}

if (import.meta.main) {
  const { createSandbox } = await import("./sandbox.ts");
  const sb = await createSandbox("crsvf-bench" + (process.env.CRS_E2E_SUFFIX ?? ""));
  try {
    for (const r of await bench(sb, sb.installBinary("dist/containerd-rootless-systemd"), RUNS)) console.log(`${r.name.padEnd(44)} median ${r.medianMs.toFixed(0).padStart(5)} ms  runs ${r.runs}  ${r.peakRssMB ? `${r.peakRssMB.toFixed(1)} MB` : ""}  ${r.budget ?? ""}  ${r.note ?? ""}`);
  } finally {
    await sb.destroy();
  }
}
