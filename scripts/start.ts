// `npm start [-- ARGS]`: builds the binary and runs it.
// As a normal user it runs the product itself. As root (a fresh machine's usual shell) the
// product refuses to run, so this explains why and offers to run it as a throwaway
// unprivileged user with a real `systemd --user` (the sandbox the tests use).
import { openSandbox, SANDBOX_PATH } from "./sandbox.ts";
import { ensurePackages, RUNTIME_PACKAGES } from "./packages.ts";
import { BINARY_NAME } from "../src/core/os/paths.ts";

const SANDBOX_USER = "crs-demo";
const args = process.argv.slice(2);
const binary = `dist/${BINARY_NAME}`;

const build = Bun.spawnSync([process.execPath, "scripts/build.ts"], { stdio: ["inherit", "inherit", "inherit"] });
if (build.exitCode !== 0) process.exit(1);

if (process.getuid!() !== 0) {
  const p = Bun.spawn([binary, ...args], { stdio: ["inherit", "inherit", "inherit"] });
  process.exit(await p.exited);
}

const sandboxFlag = args[0] === "--sandbox";
const productArgs = sandboxFlag ? args.slice(1) : args;
console.log(
  [
    `You are root. ${BINARY_NAME} sets up containerd for an unprivileged user and refuses to run as root.`,
    `It can run here as a throwaway user "${SANDBOX_USER}" with a real systemd --user manager`,
    `(created now, after installing the Debian packages rootless containerd needs when they are missing;`,
    ` remove the user later with: npx bun scripts/sandbox.ts destroy ${SANDBOX_USER}).`,
  ].join("\n"),
);
let go = sandboxFlag;
if (!go && process.stdin.isTTY) {
  process.stdout.write(`Run ${BINARY_NAME}${productArgs.length ? " " + productArgs.join(" ") : ""} as "${SANDBOX_USER}"? [Y/n] `);
  for await (const line of console) {
    go = !/^\s*n/i.test(line);
    break;
  }
}
if (!go) {
  console.log(`Not started. Non-interactively: npm start -- --sandbox [COMMAND...]   e.g. npm start -- --sandbox check`);
  process.exit(process.stdin.isTTY ? 0 : 1);
}
// a fresh machine has none of what rootless containerd needs: install it, as the tests do
ensurePackages(RUNTIME_PACKAGES, "start");
const sb = await openSandbox(SANDBOX_USER);
const installed = sb.installBinary(binary);
const env = Object.entries({ ...sb.baseEnv(), PATH: SANDBOX_PATH, TERM: process.env.TERM ?? "xterm-256color" }).map(([k, v]) => `${k}=${v}`);
console.log(`[start] running ${installed} as ${SANDBOX_USER}\n`);
const p = Bun.spawn(["runuser", "-u", sb.user, "--", "env", "-i", ...env, installed, ...productArgs], {
  stdio: ["inherit", "inherit", "inherit"],
  cwd: sb.home,
});
process.exit(await p.exited);
