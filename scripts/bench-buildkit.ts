// `npm run bench` section (imported by scripts/bench.ts): from `install-buildkit --yes` starting
// to the first successful build — only with a real BuildKit (the stand-in builds nothing):
// CRS_BUILDKIT_DIR names a directory with buildkitd and buildctl (e.g. v0.26.3 built from its
// public source: test/fixtures/buildkitd-standin/README.md says how); without it the section
// prints nothing. buildkitd's bridge networking finds CNI plugins as buildkit-cni-* beside it
// (linked to Debian's containernetworking-plugins, as upstream's release tarball ships them).
// The build is a Dockerfile with FROM scratch, COPY and an exec-form RUN, built by buildctl with
// the dockerfile.v0 frontend into an OCI tarball, tried back to back while the install runs.
// Median of 5 installs, each from uninstalled; the install's own wall time too.
import { chownSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SANDBOX_PATH, type Sandbox } from "./sandbox.ts";
import { asUser, median, type Row } from "./bench.ts";

const RUNS = 5;
const CNI = ["bridge", "loopback", "host-local", "firewall"];

export async function bench(sb: Sandbox, bin: string): Promise<Row[]> {
  const from = process.env.CRS_BUILDKIT_DIR;
  if (!from) return [];
  for (const p of ["buildkitd", "buildctl"]) if (!existsSync(join(from, p))) throw new Error(`CRS_BUILDKIT_DIR=${from} has no ${p}`);
  const dir = join(sb.home, "buildkit");
  const ctx = join(sb.home, "buildkit-context");
  mkdirSync(dir, { recursive: true });
  mkdirSync(ctx, { recursive: true });
  for (const p of ["buildkitd", "buildctl"]) copyFileSync(join(from, p), join(dir, p));
  for (const p of CNI) symlinkSync(`/usr/lib/cni/${p}`, join(dir, `buildkit-cni-${p}`));
  copyFileSync("/bin/busybox", join(ctx, "busybox"));
  writeFileSync(join(ctx, "Dockerfile"), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "echo built by RUN > /hello.txt"]\n');
  Bun.spawnSync(["chmod", "755", join(dir, "buildkitd"), join(dir, "buildctl")]);
  Bun.spawnSync(["chown", "-hR", `${sb.user}:`, dir, ctx]);
  chownSync(sb.home, sb.uid, sb.gid);
  const env = { PATH: `${dir}:${SANDBOX_PATH}` };
  const run = (argv: string[]) => Bun.spawnSync(asUser(sb, argv, env), { cwd: ctx, stdout: "pipe", stderr: "pipe" });
  const must = (args: string[]) => {
    const r = run([bin, ...args]);
    if (r.exitCode !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr.toString()}`);
  };
  const build = () => run([join(dir, "buildctl"), "--addr", `unix://${sb.runtimeDir}/buildkit/buildkitd.sock`, "build", "--frontend", "dockerfile.v0", "--local", "context=.", "--local", "dockerfile=.", "--output", `type=oci,dest=${join(sb.home, "built.tar")}`]);
  must(["install", "--yes"]);
  const firstBuild: number[] = [];
  const installs: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const install = Bun.spawn(asUser(sb, [bin, "install-buildkit", "--yes"], env), { cwd: sb.home, stdout: "pipe", stderr: "pipe" });
      let exited: number | null = null;
      void install.exited.then((code) => (exited = code));
      for (;;) {
        if (build().exitCode === 0) break;
        if (exited !== null && exited !== 0) throw new Error(`install-buildkit failed (exit ${exited}): ${await new Response(install.stderr).text()}`);
        if (performance.now() - t0 > 180_000) throw new Error(`no successful build within 180 s: ${build().stderr.toString()}`);
      }
      firstBuild.push(performance.now() - t0);
      if ((await install.exited) !== 0) throw new Error(`install-buildkit failed: ${await new Response(install.stderr).text()}`);
      installs.push(performance.now() - t0);
      must(["uninstall", "buildkit", "--yes"]);
    }
  } finally {
    run([bin, "uninstall", "buildkit", "--yes"]);
    run([bin, "uninstall", "--yes"]);
  }
  const version = run([join(dir, "buildkitd"), "--version"]).stdout.toString().trim().split(" ")[2] ?? "?";
  return [
    { name: "install-buildkit: first successful build", medianMs: median(firstBuild), peakRssMB: 0, runs: RUNS, note: `BuildKit ${version}; FROM scratch + COPY + RUN with buildctl, tried back to back` },
    { name: "install-buildkit --yes (wall)", medianMs: median(installs), peakRssMB: 0, runs: RUNS, note: "until the install exits (it waits for buildkitd's gRPC API)" },
  ];
}
