// The Bun runtime of each release target, taken from its npm package (@oven/bun-linux-*) at
// the version package-lock.json pins, and checked against the lockfile's integrity hash: the
// lockfile, not only TLS, vouches for every runtime that goes into a release. Bun would
// otherwise fetch the runtime into its own cache by itself, checked by nothing else.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Target } from "../compile.ts";

/** The npm package that carries each target's runtime. */
export const RUNTIME_PACKAGES: Record<Target, string> = {
  "bun-linux-x64": "@oven/bun-linux-x64",
  "bun-linux-arm64": "@oven/bun-linux-aarch64",
  "bun-linux-x64-musl": "@oven/bun-linux-x64-musl",
  "bun-linux-arm64-musl": "@oven/bun-linux-aarch64-musl",
};

interface LockEntry {
  version: string;
  integrity: string;
}

function lockEntry(root: string, pkg: string): LockEntry {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  const entry = lock.packages?.[`node_modules/${pkg}`] as LockEntry | undefined;
  if (!entry?.version || !entry.integrity?.startsWith("sha512-")) throw new Error(`${pkg} is not pinned in package-lock.json with a sha512 integrity (it comes with the bun devDependency)`);
  const bun = lock.packages?.["node_modules/bun"]?.version;
  if (bun && bun !== entry.version) throw new Error(`${pkg} ${entry.version} in package-lock.json does not match bun ${bun}`);
  return entry;
}

function sha512(bytes: Uint8Array): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

function run(argv: string[], cwd: string): void {
  const p = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${p.stderr.toString().trim()}`);
}

/**
 * The path of the target's runtime executable: the installed package when npm put it in
 * node_modules (the build machine's own platform, checked by `npm ci`), else the package
 * tarball fetched with `npm pack` into `cacheDir`, its sha512 compared with the lockfile's
 * before it is unpacked.
 */
export function runtimeFor(target: Target, root: string, cacheDir: string): string {
  const pkg = RUNTIME_PACKAGES[target];
  const entry = lockEntry(root, pkg);
  const installed = join(root, "node_modules", pkg);
  if (existsSync(join(installed, "bin/bun"))) {
    const version = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).version;
    if (version === entry.version) return join(installed, "bin/bun");
  }
  const dir = join(cacheDir, `${pkg.replace("/", "+")}-${entry.version}`);
  const exe = join(dir, "package/bin/bun");
  const tarball = join(dir, `${pkg.slice(1).replace("/", "-")}-${entry.version}.tgz`);
  if (existsSync(exe) && existsSync(tarball) && sha512(readFileSync(tarball)) === entry.integrity) return exe;
  mkdirSync(dir, { recursive: true });
  run(["npm", "pack", `${pkg}@${entry.version}`, "--pack-destination", dir, "--silent"], dir);
  const got = sha512(readFileSync(tarball));
  if (got !== entry.integrity) throw new Error(`${pkg}@${entry.version}: the tarball's integrity ${got} differs from package-lock.json's ${entry.integrity}; refusing to use it`);
  run(["tar", "-xzf", tarball, "-C", dir, "package/bin/bun"], dir);
  return exe;
}
