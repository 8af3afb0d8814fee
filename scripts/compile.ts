// Compiles the standalone binary for one target. Shared by `npm run build` (the native
// linux-x64 binary under dist/) and `npm run release` (every release target, each with the
// target runtime taken from its npm package, see scripts/release/runtimes.ts). The binary
// never autoloads .env or bunfig.toml from the user's directory. react-devtools-core
// (imported by Ink) is a dev dependency so the bundle resolves it.
//
// Build-time constants (src/core/release/build-info.ts reads them): CRS_BUILD_VERSION
// overrides package.json's version, CRS_RELEASE_PUBKEY is the minisign public key that
// self-update trusts (by default the committed containerd-rootless-systemd.pub).

import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The release's minisign public key, committed at the top of the repository: what every build
 * trusts unless told otherwise (scripts/build.ts), and the only key a published release may
 * build in (scripts/release.ts). Today a placeholder whose secret half was destroyed (README, Release).
 */
export const RELEASE_KEY_FILE = join(import.meta.dir, "..", "containerd-rootless-systemd.pub");

/** The base64 key line of a minisign .pub file's text (or of the line itself). */
export const keyLine = (pub: string) => pub.trim().split("\n").pop()!.trim();

/** The committed release key's base64 line. */
export const committedReleaseKey = () => keyLine(readFileSync(RELEASE_KEY_FILE, "utf8"));

export type Target = "bun-linux-x64" | "bun-linux-arm64" | "bun-linux-x64-musl" | "bun-linux-arm64-musl";

export interface CompileOptions {
  target: Target;
  outfile: string;
  /** the target's Bun runtime (from its npm package); Bun downloads it itself when absent */
  executablePath?: string;
  /** bytecode cuts startup time (see the README's Release section for the numbers) */
  bytecode?: boolean;
  version?: string;
  /** the text of a minisign .pub file, or its base64 key line */
  publicKey?: string;
}

export async function compile(opts: CompileOptions): Promise<{ outfile: string; size: number; seconds: number }> {
  const started = performance.now();
  const define: Record<string, string> = {};
  if (opts.version) define.CRS_BUILD_VERSION = JSON.stringify(opts.version);
  if (opts.publicKey) define.CRS_RELEASE_PUBKEY = JSON.stringify(keyLine(opts.publicKey));
  const result = await Bun.build({
    entrypoints: ["src/cli.ts"],
    compile: {
      target: opts.target,
      outfile: opts.outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
      ...(opts.executablePath ? { executablePath: opts.executablePath } : {}),
    },
    format: "esm",
    // each command's code (and the UI's React and Ink) is its own chunk, loaded when that command runs:
    // one bundle made every start-up, even --version, parse and load all 1.4 MB of it (9.1 ms against 5.9 ms)
    splitting: true,
    bytecode: opts.bytecode ?? true,
    minify: true,
    sourcemap: "none",
    define,
  } as Parameters<typeof Bun.build>[0]);
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`bun build failed for ${opts.target}`);
  }
  return { outfile: opts.outfile, size: Bun.file(opts.outfile).size, seconds: (performance.now() - started) / 1000 };
}
