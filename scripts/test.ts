// The one test command (`npm test`): installs what the tests need when it is missing
// (Debian packages, as root), builds the binary, then runs the unit, UI and end-to-end
// tests here, the same suite again in a root of the other Debian release
// (scripts/other-debian.ts), and the scenarios that need a systemd-booted host in a Debian 13 VM
// (scripts/vm/run.ts, `npm run test:vm`). The end-to-end tests drive the compiled binary as a throwaway user
// with a real `systemd --user` (scripts/sandbox.ts), so they need root; they are never skipped.
//
//   npm test                    everything: here, then the other Debian release
//   npm test -- here            unit, UI and end-to-end tests on this machine
//   npm test -- unit | e2e      only the unit and UI tests, or only the end-to-end tests, here
//   npm test -- other-debian    the suite ("here") in the other Debian release's root
//   npm test -- vm              the VM scenarios (test/vm/) in a Debian 13 VM under QEMU
import { prepareMachine } from "./sandbox.ts";
import { ensurePackages, TEST_PACKAGES } from "./packages.ts";
import { runTee } from "./tee.ts";

const bun = process.execPath;
const SUITES = ["all", "here", "unit", "e2e", "other-debian", "vm"];
const only = process.argv[2] ?? "all";
const isRoot = process.getuid!() === 0;
if (!SUITES.includes(only)) {
  console.error(`[test] unknown suite "${only}"; one of: ${SUITES.join(", ")}`);
  process.exit(2);
}

/** Runs bun test on some paths, streaming its output; returns [passed, failed, exitCode]. */
async function bunTest(label: string, paths: string[], timeoutMs: number): Promise<[number, number, number]> {
  console.log(`\n[test] ${label}: ${paths.join(" ")}`);
  const { code, out } = await runTee([bun, "test", "--timeout", String(timeoutMs), ...paths]);
  const pass = Number(/^\s*(\d+) pass/m.exec(out)?.[1] ?? 0);
  const fail = Number(/^\s*(\d+) fail/m.exec(out)?.[1] ?? 0);
  return [pass, fail, code];
}

const here = only !== "other-debian" && only !== "vm";
const unit = here && only !== "e2e";
const e2e = here && only !== "unit";
const otherDebian = only === "all" || only === "other-debian";
const vm = only === "all" || only === "vm";
if ((e2e || otherDebian || vm) && !isRoot) {
  console.error("[test] the end-to-end tests create a throwaway user with a real systemd --user and need root: run `sudo npm test` (or `npm test -- unit`).");
  process.exit(1);
}

type Result = [label: string, passed: number, failed: number, code: number];
const results: Result[] = [];
if (here || vm) {
  ensurePackages(TEST_PACKAGES, "test");
  if (isRoot) prepareMachine();
  if (Bun.spawnSync([bun, "scripts/build.ts"], { stdio: ["inherit", "inherit", "inherit"] }).exitCode !== 0) process.exit(1);
}
if (unit) results.push(["unit and UI tests", ...(await bunTest("unit and UI tests", ["test/unit", "test/ui"], 60_000))]);
if (e2e) {
  // the release artifacts the release, installer and self-update tests use: built here, once per source state (cached)
  console.log("\n[test] release artifacts (npm run release --fast, cached by source hash)");
  const started = performance.now();
  const { testRelease } = await import("../test/helpers/release.ts");
  console.log(`[test] release ready in ${testRelease().dir} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  // the other Debian release's RootlessKit, containerd, bypass4netns and pasta, and the Go test programs, ready before the files that use them
  console.log("\n[test] both Debian stacks and the Go test programs (scripts/debian-stack.ts, scripts/go-fixtures.ts; cached)");
  const ready = performance.now();
  const { debianStack } = await import("./debian-stack.ts");
  for (const release of ["bookworm", "trixie"] as const) console.log(`[test] Debian ${release === "trixie" ? 13 : 12}: ${debianStack(release, true).bin}`);
  const { buildGoFixture, BUILDKITD_STANDIN, buildSnapshotterDaemons } = await import("./go-fixtures.ts");
  console.log(`[test] buildkitd stand-in: ${await buildGoFixture(BUILDKITD_STANDIN)}`);
  // the snapshotter daemons from Debian's Go packages (a first build takes minutes on two busy cores)
  console.log(`[test] snapshotter daemons: ${Object.values(await buildSnapshotterDaemons()).join(", ")} (${((performance.now() - ready) / 1000).toFixed(1)} s)`);
  results.push(["end-to-end tests", ...(await bunTest("end-to-end tests (compiled binary, real systemd --user)", ["test/e2e"], 300_000))]);
}
if (otherDebian) {
  const { otherRelease, testOtherDebian } = await import("./other-debian.ts");
  results.push([`the suite in a Debian ${otherRelease() === "trixie" ? "13" : "12"} root`, ...(await testOtherDebian("here"))]);
}

if (vm) {
  const { testVm } = await import("./vm/run.ts");
  const r = await testVm().catch((e: Error) => (console.error(`[vm] ${e.message}`), { passed: 0, failed: 1, code: 1 }));
  results.push(["the scenarios in a Debian 13 VM", r.passed, r.failed, r.code]);
}

if (results.length > 1) for (const [label, p, f] of results) console.log(`[test] ${label}: ${p} passed, ${f} failed`);
const passed = results.reduce((n, r) => n + r[1], 0);
const failed = results.reduce((n, r) => n + r[2], 0);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(results.some((r) => r[3] !== 0) || failed > 0 ? 1 : 0);
