// The compiled binary must hold every add-on file of src/plugins/ (a bundler drops modules whose
// only effect is registering themselves when a package claims to have no side effects).
import { expect, test } from "bun:test";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const binary = join(root, "dist/containerd-rootless-systemd");

test("plugins --json of the compiled binary lists every plugin file", async () => {
  if (!existsSync(binary)) {
    const build = Bun.spawnSync([process.execPath, "scripts/build.ts"], { cwd: root });
    expect(build.exitCode).toBe(0);
  }
  const files = readdirSync(join(root, "src/plugins"))
    .filter((f) => f.endsWith(".ts") && f !== "registry.ts" && f !== "index.ts")
    .map((f) => f.slice(0, -3));
  expect(files.length).toBeGreaterThanOrEqual(5);
  const run = Bun.spawnSync([binary, "plugins", "--json"], { env: { PATH: "/usr/bin:/bin", HOME: "/tmp", XDG_RUNTIME_DIR: "/tmp" } });
  expect(run.exitCode).toBe(0);
  const ids = (JSON.parse(run.stdout.toString()) as { plugins: { id: string; available: boolean; reason?: string }[] }).plugins;
  expect(ids.map((p) => p.id).sort()).toEqual(files.sort());
  // unavailable ones say why
  for (const p of ids) if (!p.available) expect(p.reason).toBeTruthy();
  const pkg = await Bun.file(join(root, "package.json")).json();
  expect(pkg.sideEffects).not.toBe(false);
});
