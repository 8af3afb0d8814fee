// `npm run release`: writes dist/release/ — the compressed binaries for linux-x64 and
// linux-arm64 (.gz and .xz), install.sh with their checksums in it, SHA256SUMS over every
// file and SHA256SUMS.minisig. Each target's runtime comes from its npm package pinned in
// package-lock.json (scripts/release/runtimes.ts). The signing key comes from the
// environment; its public half, built into each binary for self-update, is the committed
// containerd-rootless-systemd.pub (another one, CRS_MINISIGN_PUBLIC_KEY, only with --fast: tests):
//   CRS_MINISIGN_SECRET_KEY=path [CRS_MINISIGN_PASSWORD=...] npm run release
// Options: --out DIR, --version V, --targets linux-x64,linux-arm64, --base-url URL,
// --no-bytecode, --fast (lowest compression levels: for tests, never for a published release).
// musl targets are left out: their runtime needs a musl libstdc++, which Debian does not
// ship, so they cannot be smoke-tested here (see the README's Release section).
import { parseArgs } from "node:util";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { RELEASE_KEY_FILE, committedReleaseKey, compile, keyLine, type Target } from "./compile.ts";
import { runtimeFor } from "./release/runtimes.ts";
import { compress, sign, sumsOf, writeInstaller } from "./release/artifacts.ts";
import { BINARY_NAME } from "../src/core/os/paths.ts";
import { releaseBase } from "../src/core/release/build-info.ts";
import pkg from "../package.json" with { type: "json" };

const TARGETS: Record<string, Target> = { "linux-x64": "bun-linux-x64", "linux-arm64": "bun-linux-arm64" };

const { values: opt } = parseArgs({
  options: {
    out: { type: "string", default: "dist/release" },
    version: { type: "string", default: pkg.version },
    targets: { type: "string", default: Object.keys(TARGETS).join(",") },
    "base-url": { type: "string" },
    "no-bytecode": { type: "boolean", default: false },
    fast: { type: "boolean", default: false },
  },
});

function fail(message: string): never {
  console.error(`[release] ${message}`);
  process.exit(1);
}

const env = process.env;
if (!env.CRS_MINISIGN_SECRET_KEY) {
  fail("set CRS_MINISIGN_SECRET_KEY to the path of the release's minisign secret key (the half of containerd-rootless-systemd.pub); a release is never unsigned");
}
const publicKeyFile = env.CRS_MINISIGN_PUBLIC_KEY ?? RELEASE_KEY_FILE;
const publicKey = keyLine(readFileSync(publicKeyFile, "utf8"));
// what users verify with (the README's commands) and what every binary trusts must be one key: a
// published release builds in only the committed one; another key is for test releases (--fast)
if (!opt.fast && publicKey !== committedReleaseKey()) {
  fail(`${publicKeyFile} is not the release key committed as ${RELEASE_KEY_FILE}; a published release must build in that key (replace the file with the release key's public half first), or pass --fast for a test release`);
}
const version = opt.version!.replace(/^v/, "");
const out = resolve(opt.out!);
const work = `${out}.build`;
const root = resolve(import.meta.dir, "..");
const cache = join(root, "node_modules/.cache/crs-release/runtimes");
const targets = opt.targets!.split(",").map((t) => [t, TARGETS[t] ?? fail(`unknown target ${t}; known: ${Object.keys(TARGETS).join(", ")}`)] as const);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync(work, { recursive: true });
const sizes: [string, number][] = [];
const downloads: string[] = [];
for (const [name, target] of targets) {
  const executablePath = runtimeFor(target, root, cache);
  const built = await compile({ target, outfile: join(work, `${BINARY_NAME}-${name}`), executablePath, bytecode: !opt["no-bytecode"], version, publicKey }).catch((e) => fail(String(e?.message ?? e)));
  sizes.push([`${BINARY_NAME}-${name} (binary)`, built.size]);
  const files = await compress(built.outfile, join(out, `${BINARY_NAME}-${name}`), opt.fast!);
  downloads.push(...files);
}
const installer = writeInstaller(join(import.meta.dir, "release/install.sh"), join(out, "install.sh"), { version, baseUrl: opt["base-url"] ?? releaseBase(version), sums: sumsOf(downloads) });
await Bun.write(join(out, "SHA256SUMS"), sumsOf([...downloads, installer]));
try {
  sign(out, { secretKey: env.CRS_MINISIGN_SECRET_KEY, publicKey: publicKeyFile, password: env.CRS_MINISIGN_PASSWORD }, `${BINARY_NAME} ${version}`);
} catch (e) {
  fail(String((e as Error).message));
}
for (const f of [...downloads, installer]) sizes.push([f.slice(out.length + 1), Bun.file(f).size]);
for (const [n, s] of sizes) console.log(`${(s / 1e6).toFixed(1).padStart(7)} MB  ${n}`);
console.log(`[release] ${BINARY_NAME} ${version} written to ${out}`);
