// `npm run bench` section (imported by scripts/bench.ts): how long after `install stargz --yes`
// starts does containerd first serve a snapshot call for it? containerd-stargz-grpc built from
// Debian's stargz library (scripts/go-fixtures.ts) is on the user's PATH; while the install
// runs, `nsenter -- ctr -n default snapshots --snapshotter stargz ls` is tried back to back
// until it succeeds. Median of 5 installs, each from uninstalled; the install's own wall time too.
import { join } from "node:path";
import { SANDBOX_PATH, type Sandbox } from "./sandbox.ts";
import { asUser, median, type Row } from "./bench.ts";
import { installSnapshotterDaemons } from "./go-fixtures.ts";

const RUNS = 5;

export async function bench(sb: Sandbox, bin: string): Promise<Row[]> {
  const dir = await installSnapshotterDaemons(join(sb.home, "snapshotters"), sb.uid, sb.gid);
  const env = { PATH: `${dir}:${SANDBOX_PATH}` };
  const run = (args: string[]) => Bun.spawnSync(asUser(sb, [bin, ...args], env), { cwd: sb.home, stdout: "pipe", stderr: "pipe" });
  const must = (args: string[]) => {
    const r = run(args);
    if (r.exitCode !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr.toString()}`);
  };
  must(["install", "--yes"]);
  const firstCall: number[] = [];
  const installs: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const install = Bun.spawn(asUser(sb, [bin, "install", "stargz", "--yes"], env), { cwd: sb.home, stdout: "pipe", stderr: "pipe" });
      let exited: number | null = null;
      void install.exited.then((code) => (exited = code));
      for (;;) {
        const ok = run(["nsenter", "--", "ctr", "-n", "default", "snapshots", "--snapshotter", "stargz", "ls"]).exitCode === 0;
        if (ok) break;
        if (exited !== null && exited !== 0) throw new Error(`install stargz failed (exit ${exited}): ${await new Response(install.stderr).text()}`);
        if (performance.now() - t0 > 120_000) throw new Error("no successful snapshot call within 120 s");
      }
      firstCall.push(performance.now() - t0);
      if ((await install.exited) !== 0) throw new Error(`install stargz failed: ${await new Response(install.stderr).text()}`);
      installs.push(performance.now() - t0);
      must(["uninstall", "stargz", "--yes"]);
    }
  } finally {
    run(["uninstall", "stargz", "--yes"]);
    run(["uninstall", "--yes"]);
  }
  return [
    { name: "install stargz: first snapshot call", medianMs: median(firstCall), peakRssMB: 0, runs: RUNS, note: "to the first `ctr snapshots --snapshotter stargz ls` that succeeds" },
    { name: "install stargz --yes (wall)", medianMs: median(installs), peakRssMB: 0, runs: RUNS, note: "until the install exits (it waits for the same call)" },
  ];
}
