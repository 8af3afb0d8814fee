// The one test command (`npm test`): installs what the tests need when it is missing
// (Debian packages, as root), builds the binary, then runs the unit, UI and end-to-end
// tests. The end-to-end tests drive the compiled binary as a throwaway user with a real
// `systemd --user` (scripts/sandbox.ts), so they need root; they are never skipped.
import { prepareMachine } from "./sandbox.ts";
import { ensurePackages, TEST_PACKAGES } from "./packages.ts";

const bun = process.execPath;
const args = process.argv.slice(2);
const isRoot = process.getuid!() === 0;

function run(argv: string[]): number {
  return Bun.spawnSync(argv, { stdio: ["inherit", "inherit", "inherit"] }).exitCode ?? 1;
}

/** Runs bun test on some paths, streaming its output; returns [passed, failed, exitCode]. */
async function bunTest(label: string, paths: string[], timeoutMs: number): Promise<[number, number, number]> {
  console.log(`\n[test] ${label}: ${paths.join(" ")}`);
  const p = Bun.spawn([bun, "test", "--timeout", String(timeoutMs), ...paths], { stdio: ["inherit", "pipe", "pipe"], env: process.env });
  let out = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      out += decoder.decode(chunk, { stream: true });
      sink.write(chunk);
    }
  };
  await Promise.all([pump(p.stdout, process.stdout), pump(p.stderr, process.stderr)]);
  const code = await p.exited;
  const pass = Number(/^\s*(\d+) pass/m.exec(out)?.[1] ?? 0);
  const fail = Number(/^\s*(\d+) fail/m.exec(out)?.[1] ?? 0);
  return [pass, fail, code];
}

const only = args[0]; // optional: "unit" | "e2e"
ensurePackages(TEST_PACKAGES, "test");
if (isRoot) prepareMachine();
if (run([bun, "scripts/build.ts"]) !== 0) process.exit(1);

let passed = 0;
let failed = 0;
let code = 0;
const suites: [string, string[], number][] = [];
if (only !== "e2e") suites.push(["unit and UI tests", ["test/unit", "test/ui"].filter((d) => Bun.spawnSync(["test", "-d", d]).exitCode === 0), 60_000]);
if (only !== "unit") {
  if (!isRoot) {
    console.error("[test] the end-to-end tests create a throwaway user with a real systemd --user and need root: run `sudo npm test`.");
    process.exit(1);
  }
  // the release artifacts the release, installer and self-update tests use: built here, once per source state (cached)
  console.log("\n[test] release artifacts (npm run release --fast, cached by source hash)");
  const started = performance.now();
  const { testRelease } = await import("../test/helpers/release.ts");
  console.log(`[test] release ready in ${testRelease().dir} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  suites.push(["end-to-end tests (compiled binary, real systemd --user)", ["test/e2e"], 300_000]);
}
for (const [label, paths, timeout] of suites) {
  const [p, f, c] = await bunTest(label, paths, timeout);
  passed += p;
  failed += f;
  if (c !== 0) code = c;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(code !== 0 || failed > 0 ? 1 : 0);
