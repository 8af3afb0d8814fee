// `npm run bench`: speed and memory of the compiled binary, as a table (not a timed test).
// Median wall time and peak RSS over repeated runs of --version, --help and `check --json`
// (as a throwaway sandbox user, since the product refuses root), plus the binary's size.
// When the reference shell installer is available (CRS_REFERENCE_DIR: a directory holding
// nerdctl's containerd-rootless-setuptool.sh and containerd-rootless.sh, not shipped
// here), its `check`, `install` and `uninstall` are measured in the same run and each of our
// rows is printed as a ratio against its reference row; without it the figures documented
// in shared/reference/sandbox.md stand in, marked as such.
// Sections contributed by other scripts (install/uninstall, the UI's first frame) are
// imported from scripts/bench-*.ts when present.
import { existsSync, statSync, readdirSync } from "node:fs";
import { createSandbox, SANDBOX_PATH, type Sandbox } from "./sandbox.ts";
import { BINARY_NAME } from "../src/core/os/paths.ts";
import { ensurePackages } from "./packages.ts";

export interface Sample {
  ms: number;
  rssMB: number;
  code: number;
  /** what the program printed (a --json report) */
  stdout?: string;
}

export interface Row {
  name: string;
  medianMs: number;
  peakRssMB: number;
  runs: number;
  budget?: string;
  note?: string;
  /** the reference installer's row for the same job: the table prints our time / its time */
  reference?: Row;
  /** the floor (containerd's own restart until its API answers): the table prints our time / it */
  floor?: Row;
}

/** samples per measurement (BENCH_RUNS); never fewer than 7, so every figure is a median of at least 7 */
export const RUNS = Math.max(7, Number(process.env.BENCH_RUNS ?? 15));
/** BENCH_BINARY: measure an already built binary (e.g. main's, to alternate with a branch's) instead of building dist/ */
const binary = process.env.BENCH_BINARY ?? `dist/${BINARY_NAME}`;
/** BENCH_ONLY=lifecycle,ui: only the scripts/bench-<name>.ts sections named (the check rows always run) */
const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);

/** The reference installer's directory, when given and complete. */
export function referenceDir(): string | undefined {
  const dir = process.env.CRS_REFERENCE_DIR;
  return dir && existsSync(`${dir}/containerd-rootless-setuptool.sh`) && existsSync(`${dir}/containerd-rootless.sh`) ? dir : undefined;
}

/** Runs the reference setup tool as the sandbox user (its launcher must be on PATH). */
export function referenceArgv(sb: Sandbox, dir: string, verb: string): string[] {
  return asUser(sb, ["sh", `${dir}/containerd-rootless-setuptool.sh`, verb], { PATH: `${dir}:${SANDBOX_PATH}` });
}

/** A row for a reference figure that was not measured here (the documented one). */
export function documented(name: string, ms: number): Row {
  return { name, medianMs: ms, peakRssMB: 0, runs: 0, note: "documented in sandbox.md (set CRS_REFERENCE_DIR to measure)" };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Runs argv directly as the sandbox user (setpriv execs, so RSS is the program's own). */
export function asUser(sb: Sandbox, argv: string[], env: Record<string, string> = {}): string[] {
  const vars = Object.entries({ ...sb.baseEnv(), ...env }).map(([k, v]) => `${k}=${v}`);
  return ["setpriv", `--reuid=${sb.uid}`, `--regid=${sb.gid}`, "--clear-groups", "env", "-i", ...vars, ...argv];
}

/**
 * One timed run. The peak RSS is GNU time's %M for this process tree alone: Bun's
 * resourceUsage.maxRSS kept the largest child the bench had ever reaped (a 262 MB bundle
 * build showed up as every later row's peak).
 */
export function sample(argv: string[], cwd?: string): Sample {
  const t0 = performance.now();
  const p = Bun.spawnSync(["/usr/bin/time", "-f", "crs-bench-maxrss-kb=%M", ...argv], { stdout: "pipe", stderr: "pipe", cwd });
  const ms = performance.now() - t0;
  const kb = Number(/crs-bench-maxrss-kb=(\d+)\s*$/.exec(p.stderr.toString())?.[1] ?? 0);
  return { ms, rssMB: (kb * 1024) / 1e6, code: p.exitCode ?? -1, stdout: p.stdout.toString() };
}

export function measure(name: string, argv: string[], opts: { runs?: number; cwd?: string; budget?: string } = {}): Row {
  const runs = opts.runs ?? RUNS;
  sample(argv, opts.cwd); // warm the page cache
  return rowOf(name, Array.from({ length: runs }, () => sample(argv, opts.cwd)), opts.budget);
}

/** A table row from samples: median time, peak RSS, the exit codes seen. */
export function rowOf(name: string, samples: Sample[], budget?: string): Row {
  const codes = new Set(samples.map((s) => s.code));
  return {
    name,
    medianMs: median(samples.map((s) => s.ms)),
    peakRssMB: Math.max(...samples.map((s) => s.rssMB)),
    runs: samples.length,
    budget,
    note: `exit ${[...codes].join("/")}`,
  };
}

function printTable(rows: Row[]): void {
  const header = ["measurement", "median", "peak RSS", "runs", "target", "vs reference", "vs floor", "note"];
  const lines = rows.map((r) => [
    r.name,
    `${r.medianMs.toFixed(1)} ms`,
    r.peakRssMB ? `${r.peakRssMB.toFixed(1)} MB` : "-",
    String(r.runs),
    r.budget ?? "",
    r.reference ? `${(r.medianMs / r.reference.medianMs).toFixed(3)}x` : "",
    r.floor ? `${(r.medianMs / r.floor.medianMs).toFixed(2)}x` : "",
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log("\n" + fmt(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const l of lines) console.log(fmt(l));
}

async function main(): Promise<void> {
  if (process.getuid!() !== 0) {
    console.error("bench needs root: it measures `check` as a throwaway sandbox user");
    process.exit(1);
  }
  ensurePackages(["time"], "bench"); // GNU time measures each run's peak RSS
  if (!process.env.BENCH_BINARY && Bun.spawnSync([process.execPath, "scripts/build.ts"], { stdio: ["inherit", "inherit", "inherit"] }).exitCode !== 0) process.exit(1);
  const sb = await createSandbox("crsbench" + (process.env.CRS_E2E_SUFFIX ?? ""));
  try {
    const bin = sb.installBinary(binary);
    const rows: Row[] = [];
    rows.push(measure("--version", asUser(sb, [bin, "--version"]), { cwd: sb.home, budget: "<= 30 ms, <= 60 MB" }));
    rows.push(measure("--help", asUser(sb, [bin, "--help"]), { cwd: sb.home, budget: "<= 60 MB" }));
    const refDir = referenceDir();
    const reference = refDir ? measure("reference: setuptool.sh check", referenceArgv(sb, refDir, "check"), { cwd: sb.home }) : documented("reference: setuptool.sh check", 70);
    rows.push({ ...measure("check --json", asUser(sb, [bin, "check", "--json"]), { cwd: sb.home, budget: "<= 0.8x reference, <= 60 MB" }), reference }, reference);
    // Sections from other scripts: each exports `bench(sb, bin): Promise<Row[]>`.
    for (const file of readdirSync("scripts").filter((f) => /^bench-.+\.ts$/.test(f) && (!only || only.includes(f.slice(6, -3)))).sort()) {
      const mod = await import(`./${file}`);
      if (typeof mod.bench === "function") rows.push(...(await mod.bench(sb, bin)));
    }
    printTable(rows);
    console.log(`\nbinary size: ${(statSync(binary).size / 1e6).toFixed(1)} MB (${binary})`);
  } finally {
    await sb.destroy();
  }
}

if (import.meta.main) await main();
