// A release built for the tests, once per source state: a throwaway minisign key, the full
// release (`npm run release --fast` into dist/), and a second, newer release (x64 only) for
// self-update to move to. Cached under node_modules/.cache by a hash of everything that goes
// into the binaries, so repeated test runs on unchanged sources reuse it. --fast only lowers
// the compression levels; every other step is the published release's.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./e2e.ts";
import pkg from "../../package.json" with { type: "json" };

export const NEXT_VERSION = "99.0.0";
export const VERSION = pkg.version;
export const NAME = "containerd-rootless-systemd";

export interface TestRelease {
  /** the release of this version: every target, install.sh, SHA256SUMS(.minisig) */
  dir: string;
  /** version NEXT_VERSION, linux-x64 only */
  next: string;
  publicKey: string;
  secretKey: string;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function sourceHash(): string {
  const h = createHash("sha256");
  const files = [...["src", "ui", "scripts"].flatMap((d) => walk(join(ROOT, d))), join(ROOT, "package.json"), join(ROOT, "package-lock.json")].sort();
  for (const f of files) h.update(relative(ROOT, f)).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex").slice(0, 16);
}

function run(argv: string[], env: Record<string, string> = {}): void {
  const p = Bun.spawnSync(argv, { cwd: ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed:\n${p.stdout}\n${p.stderr}`);
  process.stderr.write(p.stdout.toString());
}

let memo: TestRelease | undefined;

export function testRelease(): TestRelease {
  if (memo) return memo;
  const cacheRoot = join(ROOT, "node_modules/.cache/crs-release-test");
  const dir = join(cacheRoot, sourceHash());
  const release: TestRelease = { dir: join(dir, "release"), next: join(dir, "next"), publicKey: join(dir, "test.pub"), secretKey: join(dir, "test.key") };
  if (!existsSync(join(dir, "done"))) {
    rmSync(cacheRoot, { recursive: true, force: true }); // older source states
    mkdirSync(dir, { recursive: true });
    run(["minisign", "-G", "-W", "-p", release.publicKey, "-s", release.secretKey]);
    const keys = { CRS_MINISIGN_SECRET_KEY: release.secretKey, CRS_MINISIGN_PUBLIC_KEY: release.publicKey };
    run([process.execPath, "scripts/release.ts", "--fast", "--out", release.dir], keys);
    run([process.execPath, "scripts/release.ts", "--fast", "--out", release.next, "--version", NEXT_VERSION, "--targets", "linux-x64"], keys);
    writeFileSync(join(dir, "done"), "");
  }
  return (memo = release);
}

/** Serves `dir` on 127.0.0.1 (port 0); `override` replaces a file's bytes (null: 404, as if the release had no such file), and every request is counted. */
export function serveDir(dir: string, override: Record<string, Uint8Array | string | null> = {}) {
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const name = decodeURIComponent(new URL(req.url).pathname.slice(1));
      requests.push(name);
      if (name in override) return override[name] === null ? new Response("not found", { status: 404 }) : new Response(override[name]);
      const file = join(dir, name);
      if (name.includes("/") || !existsSync(file)) return new Response("not found", { status: 404 });
      return new Response(Bun.file(file));
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}

/** Unpacks a release's compressed binary into `to` (made executable). */
export function unpack(file: string, to: string): string {
  const p = Bun.spawnSync(["sh", "-c", `${file.endsWith(".xz") ? "xz" : "gzip"} -dc "$1" > "$2" && chmod 755 "$2"`, "sh", file, to]);
  if (p.exitCode !== 0) throw new Error(`cannot unpack ${file}: ${p.stderr}`);
  return to;
}
