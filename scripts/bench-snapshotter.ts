// `npm run bench` section (imported by scripts/bench.ts): the stargz add-on with its real daemon
// (containerd-stargz-grpc built from Debian's stargz library, scripts/go-fixtures.ts).
//
// 1. How long after `install stargz --yes` starts does the daemon first answer a snapshot call
//    through containerd? While the install runs, `nsenter -- ctr -n default snapshots
//    --snapshotter stargz prepare KEY` is tried back to back until it succeeds (then removed; a
//    listing would not do: containerd answers it from its own metadata). Median of 5 installs,
//    each from uninstalled; the install's own wall time too.
// 2. Lazy pulling against a full pull, in the same run, of the same image from the same local
//    registry (Debian's docker-registry on the snapshotter's loopback, scripts/local-registry.ts).
//    Each run's image is new (busybox plus PADDING random bytes the container never reads, so no
//    cache helps either side), converted with `ctr-remote image convert --estargz` and pushed;
//    then, in alternating order:
//      lazy: `ctr-remote image rpull` (stargz snapshotter) + `ctr run --rm ... true`
//      full: `ctr images pull` (containerd's default overlayfs snapshotter: the whole layer
//            downloaded and unpacked) + `ctr run --rm ... true`
//    each timed from the pull's start to the container's exit, through the product's nsenter.
//    The lazy row is printed as a ratio to the full one.
import { chownSync } from "node:fs";
import { join } from "node:path";
import { SANDBOX_PATH, type Sandbox } from "./sandbox.ts";
import { asUser, median, type Row } from "./bench.ts";
import { installSnapshotterDaemons } from "./go-fixtures.ts";
import { startRegistry } from "./local-registry.ts";
import { buildBusyboxImage } from "../test/e2e/oci-image.ts";

const RUNS = 5;
const PADDING = 128 << 20;
/** this cgroup v1 host: runc cannot create the cpuset cgroup, and the default --cpu-shares needs one (nerdctl does the same by itself) */
const RUN_FLAGS = ["--cgroup", "", "--cpu-shares", "0"];

interface Runner {
  sb: Sandbox;
  bin: string;
  env: Record<string, string>;
  run(args: string[]): ReturnType<typeof Bun.spawnSync>;
  must(args: string[]): void;
}

async function firstCallRows(r: Runner): Promise<Row[]> {
  const firstCall: number[] = [];
  const installs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const install = Bun.spawn(asUser(r.sb, [r.bin, "install", "stargz", "--yes"], r.env), { cwd: r.sb.home, stdout: "pipe", stderr: "pipe" });
    let exited: number | null = null;
    void install.exited.then((code) => (exited = code));
    for (;;) {
      const ok = r.run(["nsenter", "--", "ctr", "-n", "default", "snapshots", "--snapshotter", "stargz", "prepare", `bench-first-${i}`]).exitCode === 0;
      if (ok) {
        firstCall.push(performance.now() - t0);
        r.must(["nsenter", "--", "ctr", "-n", "default", "snapshots", "--snapshotter", "stargz", "rm", `bench-first-${i}`]);
        break;
      }
      if (exited !== null && exited !== 0) throw new Error(`install stargz failed (exit ${exited}): ${await new Response(install.stderr).text()}`);
      if (performance.now() - t0 > 120_000) throw new Error("no successful snapshot call within 120 s");
    }
    if ((await install.exited) !== 0) throw new Error(`install stargz failed: ${await new Response(install.stderr).text()}`);
    installs.push(performance.now() - t0);
    r.must(["uninstall", "stargz", "--yes"]);
  }
  return [
    { name: "install stargz: first snapshot call", medianMs: median(firstCall), peakRssMB: 0, runs: RUNS, note: "to the first `ctr snapshots --snapshotter stargz prepare` that succeeds" },
    { name: "install stargz --yes (wall)", medianMs: median(installs), peakRssMB: 0, runs: RUNS, note: "until the install exits" },
  ];
}

async function lazyPullRows(r: Runner): Promise<Row[]> {
  const ctr = (tool: string, ...args: string[]) => r.must(["nsenter", "--", tool, "-n", "default", ...args]);
  r.must(["install", "stargz", "--yes"]);
  const registry = await startRegistry(r.sb, r.bin);
  const lazy: number[] = [];
  const full: number[] = [];
  try {
    const refs: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const tarball = join(r.sb.home, "bench-oci.tar");
      const source = buildBusyboxImage(tarball, `docker.io/library/busybox:bench-${i}`, "/bin/busybox", PADDING);
      chownSync(tarball, r.sb.uid, r.sb.gid);
      const ref = `${registry.address}/bench/busybox:esgz-${i}`;
      ctr("ctr", "images", "import", "--no-unpack", tarball);
      ctr("ctr-remote", "image", "convert", "--estargz", "--oci", source, ref);
      ctr("ctr", "images", "push", "--plain-http", ref);
      ctr("ctr", "images", "rm", "--sync", source, ref);
      refs.push(ref);
    }
    const timed = (steps: string[][]) => {
      const t0 = performance.now();
      for (const s of steps) ctr(s[0]!, ...s.slice(1));
      return performance.now() - t0;
    };
    refs.forEach((ref, i) => {
      const lazyRun = () => lazy.push(timed([["ctr-remote", "image", "rpull", "--plain-http", ref], ["ctr", "run", "--rm", "--snapshotter", "stargz", ...RUN_FLAGS, ref, `lazy-${i}`, "/bin/busybox", "true"]]));
      const fullRun = () => full.push(timed([["ctr", "images", "pull", "--plain-http", ref], ["ctr", "run", "--rm", ...RUN_FLAGS, ref, `full-${i}`, "/bin/busybox", "true"]]));
      for (const step of i % 2 ? [fullRun, lazyRun] : [lazyRun, fullRun]) {
        step();
        ctr("ctr", "images", "rm", "--sync", ref);
      }
    });
  } finally {
    registry.stop();
  }
  const mib = PADDING >> 20;
  const fullRow: Row = { name: "full pull to a running container", medianMs: median(full), peakRssMB: 0, runs: RUNS, note: `ctr images pull + ctr run (overlayfs); busybox + ${mib} MiB layer, local registry` };
  return [
    fullRow,
    { name: "stargz lazy pull to a running container", medianMs: median(lazy), peakRssMB: 0, runs: RUNS, reference: fullRow, note: "ctr-remote image rpull + ctr run of the same eStargz image; 'vs reference': against the full pull" },
  ];
}

export async function bench(sb: Sandbox, bin: string): Promise<Row[]> {
  const dir = await installSnapshotterDaemons(join(sb.home, "snapshotters"), sb.uid, sb.gid);
  const env = { PATH: `${dir}:${SANDBOX_PATH}` };
  const run = (args: string[]) => Bun.spawnSync(asUser(sb, [bin, ...args], env), { cwd: sb.home, stdout: "pipe", stderr: "pipe" });
  const must = (args: string[]) => {
    const r = run(args);
    if (r.exitCode !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr.toString()}`);
  };
  must(["install", "--yes"]);
  try {
    const runner = { sb, bin, env, run, must };
    return [...(await firstCallRows(runner)), ...(await lazyPullRows(runner))];
  } finally {
    run(["uninstall", "stargz", "--yes"]);
    run(["uninstall", "--yes"]);
  }
}
