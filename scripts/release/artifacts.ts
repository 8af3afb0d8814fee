// The files of a release directory besides the binaries: the compressed downloads, the
// installer with the checksums of its own release written into it, SHA256SUMS over every
// file, and its minisign signature.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

export const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function run(argv: string[], input?: string): string {
  const p = Bun.spawnSync(argv, { stdin: input === undefined ? "ignore" : Buffer.from(input), stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (exit ${p.exitCode}): ${p.stderr.toString().trim()}`);
  return p.stdout.toString();
}

/**
 * xz's options: the x86 branch filter and a dictionary as large as the Bun runtime's repeats
 * need take the x64 download from 40.6 MB (-9e) to 39.8 MB, which any xz since 2009 unpacks
 * (with about 200 MB of memory). arm64 keeps -9e: its branch filter needs xz >= 5.4 to unpack.
 */
function xzOptions(outBase: string, fast: boolean): string {
  if (fast) return "-0";
  return outBase.endsWith("-x64") ? "--x86 --lzma2=preset=9e,dict=192MiB" : "-9e";
}

/** Writes BINARY.gz (for self-update, which unpacks it with Bun's zlib) and BINARY.xz (smaller, preferred by install.sh). */
export async function compress(binary: string, outBase: string, fast: boolean): Promise<string[]> {
  const gz = `${outBase}.gz`;
  const xz = `${outBase}.xz`;
  const xzRun = Bun.spawn(["sh", "-c", `xz -T0 ${xzOptions(outBase, fast)} -c "$1" > "$2"`, "sh", binary, xz], { stderr: "pipe" });
  writeFileSync(gz, Bun.gzipSync(readFileSync(binary), { level: fast ? 1 : 9 }));
  if ((await xzRun.exited) !== 0) throw new Error(`xz failed: ${await new Response(xzRun.stderr).text()}`);
  return [gz, xz];
}

/** `sha256sum` format: "HEX  NAME" per line, sorted by name. */
export function sumsOf(files: string[]): string {
  return files
    .map((f) => `${sha256File(f)}  ${basename(f)}\n`)
    .sort((a, b) => a.slice(66).localeCompare(b.slice(66)))
    .join("");
}

/** install.sh from its template, carrying the checksums of the downloads it may fetch. */
export function writeInstaller(template: string, out: string, vars: { version: string; baseUrl: string; sums: string }): string {
  const text = readFileSync(template, "utf8")
    .replaceAll("@VERSION@", vars.version)
    .replaceAll("@BASE_URL@", vars.baseUrl)
    .replace("@SUMS@", vars.sums.trimEnd());
  if (/@[A-Z_]+@/.test(text)) throw new Error(`install.sh template: unreplaced ${/@[A-Z_]+@/.exec(text)![0]}`);
  writeFileSync(out, text, { mode: 0o755 });
  return out;
}

/** SHA256SUMS.minisig, made with the secret key, then checked with the public key before the release is called done. */
export function sign(dir: string, keys: { secretKey: string; publicKey: string; password?: string }, trusted: string): string {
  const sums = join(dir, "SHA256SUMS");
  const sig = `${sums}.minisig`;
  run(["minisign", "-S", "-s", keys.secretKey, "-m", sums, "-x", sig, "-t", trusted], keys.password === undefined ? undefined : `${keys.password}\n`);
  run(["minisign", "-V", "-q", "-p", keys.publicKey, "-m", sums, "-x", sig]);
  return sig;
}
