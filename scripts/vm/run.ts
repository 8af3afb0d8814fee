// `npm run test:vm`: the scenarios that need a systemd-booted host (test/vm/), in a Debian 13
// VM under QEMU — systemd as PID 1, cgroup v2, logind with linger, AppArmor, RootlessKit 2 —
// as the user `alice` over a real ssh login. Builds (or takes from the cache) the VM's disks
// (scripts/vm/image.ts), boots once, runs the scenario files in order (reboot.test.ts reboots
// the guest itself), powers the VM off and prints each file's time and the closing line.
// Needs root (debootstrap, mkfs) and QEMU (installed when missing: qemu-system-x86); no KVM.
//
//   npm run test:vm                       build the binary, then every scenario
//   bun scripts/vm/run.ts [FILE...]       only these scenario files (the binary as built), in a fresh guest:
//                                         the files after lifecycle.test.ts need its install first, e.g.
//                                         bun scripts/vm/run.ts test/vm/lifecycle.test.ts test/vm/network.test.ts
//   CRS_VM_KEEP=1 bun scripts/vm/run.ts   leave the VM running (the state for test/helpers/vm.ts is printed)
import { join } from "node:path";
import { existsSync } from "node:fs";
import { ensurePackages } from "../packages.ts";
import { runTee } from "../tee.ts";
import { ensurePayloadDisk, ensureSystemDisk, nerdctlScriptsDir, VM_DIR } from "./image.ts";
import { Vm, closeMasters } from "./qemu.ts";

const ROOT = join(import.meta.dir, "../..");
/** In this order: the first boot's scenarios, then the one that reboots. */
export const SCENARIOS = ["host", "lifecycle", "network", "migration", "reboot"].map((n) => `test/vm/${n}.test.ts`);

export interface VmResult {
  passed: number;
  failed: number;
  code: number;
}

/** Builds or reuses the disks, boots, runs `files`, stops the VM. The binary must be built. */
export async function testVm(files: string[] = SCENARIOS): Promise<VmResult> {
  const started = performance.now();
  const binary = join(ROOT, "dist/containerd-rootless-systemd");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`bun scripts/build.ts\` first`);
  ensurePackages(["qemu-system-x86", "debootstrap", "e2fsprogs", "openssh-client", "busybox-static"], "vm");
  const system = ensureSystemDisk();
  const payload = ensurePayloadDisk(binary);
  const nerdctl = nerdctlScriptsDir();
  console.log(`[vm] nerdctl's scripts: ${nerdctl ? `from ${nerdctl}` : "not on this machine (CRS_REFERENCE_DIR unset): the migration scenario uses the unit nerdctl v2.3.5 writes, as a cited fixture"}`);
  const vm = new Vm(system, payload, join(VM_DIR, `run-${process.pid}`));
  const stop = () => {
    closeMasters(vm.state);
    vm.stop();
  };
  process.once("SIGINT", () => (stop(), process.exit(130)));
  process.once("SIGTERM", () => (stop(), process.exit(143)));
  const times: string[] = [];
  let passed = 0;
  let failed = 0;
  let code = 0;
  try {
    console.log(`[vm] booting Debian 13 under QEMU (TCG), ssh on 127.0.0.1:${vm.state.port}`);
    const boot = vm.start();
    times.push(`boot to ssh: ${boot.toFixed(0)} s`);
    console.log(`[vm] up after ${boot.toFixed(0)} s`);
    const env = { ...process.env, CRS_VM_STATE: JSON.stringify(vm.state), CRS_VM_NERDCTL: nerdctl ? "1" : "" };
    for (const file of files) {
      const t0 = performance.now();
      const r = await runTee([process.execPath, "test", "--timeout", "900000", file], env);
      const p = Number(/^\s*(\d+) pass/m.exec(r.out)?.[1] ?? 0);
      const f = Number(/^\s*(\d+) fail/m.exec(r.out)?.[1] ?? 0);
      passed += p;
      failed += f;
      if (r.code !== 0) code = r.code;
      times.push(`${file}: ${p} passed, ${f} failed, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    if (process.env.CRS_VM_KEEP === "1") console.log(`[vm] left running: CRS_VM_STATE='${JSON.stringify(vm.state)}'`);
    else stop();
  }
  console.log(`\n[vm] ${times.join("\n[vm] ")}\n[vm] total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { passed, failed, code };
}

if (import.meta.main) {
  if (process.getuid!() !== 0) {
    console.error("[vm] needs root (debootstrap, mkfs.ext4 -d, the image cache in /var/tmp): run it with sudo");
    process.exit(1);
  }
  const files = process.argv.slice(2);
  if (!files.length && Bun.spawnSync([process.execPath, "scripts/build.ts"], { cwd: ROOT, stdio: ["inherit", "inherit", "inherit"] }).exitCode !== 0) process.exit(1);
  const r = await testVm(files.length ? files : SCENARIOS);
  console.log(`\n${r.passed} passed, ${r.failed} failed`);
  process.exit(r.code !== 0 || r.failed > 0 ? 1 : 0);
}
