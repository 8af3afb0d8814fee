// Compiles the standalone binary: dist/containerd-rootless-systemd (linux-x64, minified,
// bytecode). The binary never autoloads .env or bunfig.toml from the user's directory.
// react-devtools-core (imported by Ink) is a dev dependency so the bundle resolves it.
import { BINARY_NAME } from "../src/core/os/paths.ts";

const outfile = `dist/${BINARY_NAME}`;
const started = performance.now();
const result = await Bun.build({
  entrypoints: ["src/cli.ts"],
  compile: {
    target: "bun-linux-x64",
    outfile,
    autoloadDotenv: false,
    autoloadBunfig: false,
  },
  format: "esm",
  bytecode: true,
  minify: true,
  sourcemap: "none",
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
const size = Bun.file(outfile).size;
console.log(`built ${outfile} (${(size / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
