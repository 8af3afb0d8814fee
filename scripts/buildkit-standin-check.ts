// Checks the BuildKit stand-in (test/fixtures/buildkitd-standin) against a real buildkitd where
// the product depends on it, run the same way side by side, and prints each case as same or
// different (exit 1 when any differs). Needs root (a throwaway sandbox user with rootless
// containerd) and a real BuildKit in CRS_BUILDKIT_DIR (buildkitd and buildctl, e.g. v0.26.3 built
// from its public source, as the stand-in's README says); kept outside this repository.
//
//   CRS_BUILDKIT_DIR=/var/tmp/buildkit bun scripts/buildkit-standin-check.ts
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { createSandbox, SANDBOX_PATH, type Sandbox } from "./sandbox.ts";
import { BUILDKITD_STANDIN, buildGoFixture } from "./go-fixtures.ts";

interface Outcome {
  code: number;
  out: string;
}

/** What is compared: exit code and output, without log lines' times and the version's last field (the commit; the stand-in says so). */
function normalized(code: number, out: string): Outcome {
  const lines = out.split("\n").filter((l) => !/^time="/.test(l) && !/gc-keepstorage value/.test(l));
  return { code, out: lines.join("\n").replace(/(buildkitd github\.com\/moby\/buildkit v\S+) \S+/, "$1 REVISION").trim() };
}

function cases(sb: Sandbox, bin: string, dir: (which: string) => string): [string, (which: string) => Outcome][] {
  const asUser = (argv: string[], env: Record<string, string> = {}) => {
    const r = sb.run(argv, { env: { PATH: `${join(sb.home, "cni")}:${SANDBOX_PATH}`, ...env }, timeoutMs: 90_000 });
    return normalized(r.code, `${r.stdout}\n--- stderr\n${r.stderr}`);
  };
  const inside = (which: string, args: string[], env: Record<string, string> = {}) => asUser([bin, "nsenter", "--", join(dir(which), "buildkitd"), ...args], env);
  const sock = (which: string, name: string) => `--addr=unix://${sb.runtimeDir}/check-${which}-${name}/b.sock`;
  const root = (which: string, name: string) => `--root=${sb.home}/.local/share/check-${which}-${name}`;
  return [
    ["--help outside a user namespace", (w) => asUser([join(dir(w), "buildkitd"), "--help"])],
    ["--version", (w) => asUser([join(dir(w), "buildkitd"), "--version"])],
    ["an unknown flag", (w) => asUser([join(dir(w), "buildkitd"), "--no-such-flag"])],
    ["a flag without its value", (w) => asUser([join(dir(w), "buildkitd"), "--oci-worker-net"])],
    ["a bad boolean", (w) => asUser([join(dir(w), "buildkitd"), "--oci-worker-rootless=maybe"])],
    ["not root in a user namespace", (w) => asUser([join(dir(w), "buildkitd")])],
    ["--help inside the namespace (rootless defaults)", (w) => inside(w, ["--help"])],
    ["OCI worker, bridge networking, no CNI plugins", (w) => inside(w, ["--oci-worker=true", "--oci-worker-rootless=true", "--containerd-worker=false", "--oci-worker-net=bridge", sock(w, "oci"), root(w, "oci")], { PATH: SANDBOX_PATH })],
    ["containerd worker, bridge networking, no CNI plugins", (w) => inside(w, ["--oci-worker=false", "--containerd-worker=true", "--containerd-worker-rootless=true", "--containerd-worker-net=bridge", "--containerd-worker-namespace=default", sock(w, "ctd"), root(w, "ctd")], { PATH: SANDBOX_PATH })],
    ["ListWorkers (`buildctl debug workers -v`: the workers' labels)", (w) => {
      const started = sb.run(["sh", "-c", `"$0" nsenter -- "$1" --oci-worker=true --oci-worker-rootless=true --containerd-worker=false --oci-worker-net=bridge ${sock(w, "grpc")} ${root(w, "grpc")} >/dev/null 2>&1 & echo $!`, bin, join(dir(w), "buildkitd")], { env: { PATH: `${join(sb.home, "cni")}:${SANDBOX_PATH}` } });
      const pid = Number(started.stdout.trim());
      try {
        const socket = sock(w, "grpc").slice("--addr=unix://".length);
        for (let i = 0; i < 600 && !existsSync(socket); i++) Bun.sleepSync(100); // the listening socket appears
        const r = sb.run([join(dir("real"), "buildctl"), "--addr", `unix://${socket}`, "debug", "workers", "-v"]);
        return normalized(r.code, r.stdout.split("\n").filter((l) => /^\s+org\.mobyproject\./.test(l)).sort().join("\n"));
      } finally {
        process.kill(pid, "SIGTERM");
      }
    }],
  ];
}

async function main(): Promise<number> {
  const real = process.env.CRS_BUILDKIT_DIR;
  if (!real || !existsSync(join(real, "buildkitd")) || !existsSync(join(real, "buildctl"))) {
    console.error("set CRS_BUILDKIT_DIR to a directory with a real buildkitd and buildctl");
    return 2;
  }
  const standin = await buildGoFixture(BUILDKITD_STANDIN);
  const sb = await createSandbox("crsbkcheck" + (process.env.CRS_E2E_SUFFIX ?? ""));
  try {
    const bin = sb.installBinary("dist/containerd-rootless-systemd");
    for (const [which, from] of [["real", join(real, "buildkitd")], ["standin", standin]] as const) {
      mkdirSync(join(sb.home, which), { recursive: true });
      copyFileSync(from, join(sb.home, which, "buildkitd"));
    }
    copyFileSync(join(real, "buildctl"), join(sb.home, "real/buildctl"));
    mkdirSync(join(sb.home, "cni"), { recursive: true });
    for (const p of ["bridge", "loopback", "host-local", "firewall"]) symlinkSync(`/usr/lib/cni/${p}`, join(sb.home, "cni", `buildkit-cni-${p}`));
    Bun.spawnSync(["chmod", "755", join(sb.home, "real/buildkitd"), join(sb.home, "real/buildctl"), join(sb.home, "standin/buildkitd")]);
    Bun.spawnSync(["chown", "-hR", `${sb.user}:`, sb.home]);
    const install = sb.run([bin, "install", "--yes"], { timeoutMs: 120_000 });
    if (install.code !== 0) throw new Error(`install failed: ${install.stderr}`);
    let different = 0;
    for (const [name, run] of cases(sb, bin, (w) => join(sb.home, w))) {
      const [a, b] = [run("real"), run("standin")];
      const same = a.code === b.code && a.out === b.out;
      if (!same) different++;
      console.log(`${same ? "same     " : "DIFFERENT"}  ${name}${same ? "" : `\n  real (exit ${a.code}):\n${a.out}\n  stand-in (exit ${b.code}):\n${b.out}`}`);
    }
    console.log(`\n${different ? `${different} case(s) differ` : "the stand-in behaves as the real buildkitd in every case"} (${(await Bun.$`${join(real, "buildkitd")} --version`.text()).trim()})`);
    return different ? 1 : 0;
  } finally {
    await sb.destroy();
  }
}

if (import.meta.main) process.exitCode = await main();
