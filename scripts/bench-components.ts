// Components for `npm run bench` (imported by scripts/bench.ts), or alone as root:
// `bun scripts/bench-components.ts`. Two figures:
// - download throughput and peak RSS: `components install` of a 250 MB bundle (incompressible
//   data, as release binaries nearly are) from a local HTTP server, as the sandbox user; the
//   goal is to be limited by the disk, with constant memory (peak RSS < 80 MB);
// - from nothing to containerd answering with a local bundle (`install --components
//   --components-from FILE`: verify, unpack, unit, start, wait for the API).
import { mkdtempSync, rmSync, chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "./sandbox.ts";
import { asUser, rowOf, sample, type Row, type Sample } from "./bench.ts";
import { spawnBundleServer } from "../test/helpers/bundle-server.ts";
import { writeBundle } from "../test/helpers/tarball.ts";

const ARCH = process.arch === "arm64" ? "arm64" : "amd64";

/** A nerdctl-full-shaped tarball of about `mb` MB: a few stand-in programs and random bytes (GNU tar, gzip -1). */
function bigBundle(dir: string, mb: number): { name: string; sha256: string } {
  const src = join(dir, "src");
  mkdirSync(join(src, "bin"), { recursive: true });
  mkdirSync(join(src, "share/blob"), { recursive: true });
  writeFileSync(join(src, "bin/containerd"), "#!/bin/sh\n", { mode: 0o755 });
  for (let i = 0; i < mb / 50; i++) Bun.spawnSync(["head", "-c", "50M", "/dev/urandom"], { stdout: Bun.file(join(src, `share/blob/part${i}`)) });
  const name = `nerdctl-full-9.0.0-linux-${ARCH}.tar.gz`;
  Bun.spawnSync(["sh", "-c", `tar -C '${src}' -cf - bin share | gzip -1 > '${join(dir, name)}'`]);
  const sha256 = Bun.spawnSync(["sha256sum", join(dir, name)]).stdout.toString().split(" ")[0]!;
  return { name, sha256 };
}

export async function bench(sb: Sandbox, bin: string): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "crs-bench-bundles-"));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "files"), { mode: 0o755 });
  const server = await spawnBundleServer(dir);
  const rows: Row[] = [];
  try {
    const big = bigBundle(dir, 250);
    const installs: Sample[] = [];
    const rates: number[] = [];
    const totals: number[] = [];
    for (let i = 0; i < 3; i++) {
      // GNU time reports the binary's own peak RSS (-f %M, KiB) on the last stderr line
      const argv = asUser(sb, ["/usr/bin/time", "-f", "%M", bin, "components", "install", "--from", `${server.url}/files/${big.name}`, "--sha256", big.sha256, "--insecure-http", "--yes", "--json"]);
      const t0 = performance.now();
      const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", cwd: sb.home });
      const kib = Number(p.stderr.toString().trim().split("\n").pop());
      installs.push({ ms: performance.now() - t0, rssMB: (kib * 1024) / 1e6, code: p.exitCode ?? -1 });
      if (p.exitCode !== 0) console.error(`components install failed: ${p.stderr.toString()}`);
      const doc = JSON.parse(p.stdout.toString() || "{}");
      if (doc.bundle?.fetchMs) rates.push(doc.bundle.bytes / 1e6 / (doc.bundle.fetchMs / 1000));
      if (doc.bundle?.ms) totals.push(doc.bundle.bytes / 1e6 / (doc.bundle.ms / 1000));
      sample(asUser(sb, [bin, "components", "remove", "--yes"]), sb.home);
    }
    const size = Bun.file(join(dir, big.name)).size / 1e6;
    const row = rowOf(`components install: ${size.toFixed(0)} MB bundle over local HTTP`, installs, "peak RSS < 80 MB");
    const mean = (xs: number[]) => (xs.length ? (xs.reduce((a, b) => a + b) / xs.length).toFixed(0) : "?");
    rows.push({ ...row, note: `${row.note}; download+verify ${mean(rates)} MB/s, with unpack ${mean(totals)} MB/s (median wall of the whole command ${(size / (row.medianMs / 1000)).toFixed(0)} MB/s)` });

    const local = writeBundle(join(dir, "local"), { version: "1.0.0" });
    chmodSync(join(dir, "local"), 0o755);
    const starts: Sample[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const p = Bun.spawnSync(asUser(sb, ["/usr/bin/time", "-f", "%M", bin, "install", "--components", "--components-from", local.file, "--components-sha256", local.sha256, "--yes"]), { stdout: "pipe", stderr: "pipe", cwd: sb.home });
      starts.push({ ms: performance.now() - t0, rssMB: (Number(p.stderr.toString().trim().split("\n").pop()) * 1024) / 1e6, code: p.exitCode ?? -1 });
      sample(asUser(sb, [bin, "uninstall", "--yes"]), sb.home);
      sample(asUser(sb, [bin, "components", "remove", "--yes"]), sb.home);
    }
    rows.push(rowOf("nothing -> containerd answering (local bundle)", starts));
  } finally {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.main) {
  const { createSandbox } = await import("./sandbox.ts");
  const sb = await createSandbox("crsbenchc" + (process.env.CRS_E2E_SUFFIX ?? ""));
  try {
    const rows = await bench(sb, sb.installBinary(`dist/containerd-rootless-systemd`));
    for (const r of rows) console.log(`${r.name}: median ${r.medianMs.toFixed(0)} ms, peak RSS ${r.peakRssMB.toFixed(1)} MB, ${r.note}`);
  } finally {
    await sb.destroy();
  }
}
