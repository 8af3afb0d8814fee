// Compiles the standalone binary: dist/containerd-rootless-systemd (linux-x64, minified,
// bytecode), for the tests and local use. Release builds for every target: scripts/release.ts.
// self-update trusts the committed release key (containerd-rootless-systemd.pub), or
// CRS_RELEASE_PUBKEY (a minisign public key) when set.
import { BINARY_NAME } from "../src/core/os/paths.ts";
import { committedReleaseKey, compile } from "./compile.ts";

const built = await compile({ target: "bun-linux-x64", outfile: `dist/${BINARY_NAME}`, publicKey: process.env.CRS_RELEASE_PUBKEY ?? committedReleaseKey() }).catch((e) => {
  console.error(String(e?.message ?? e));
  process.exit(1);
});
console.log(`built ${built.outfile} (${(built.size / 1e6).toFixed(1)} MB) in ${built.seconds.toFixed(1)} s`);
