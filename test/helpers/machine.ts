// What is installed on the machine the end-to-end tests run on, read from the programs
// themselves, so that one assertion is right on Debian 12 (RootlessKit 1.1, containerd 1.6,
// systemd 252) and on Debian 13 (RootlessKit 2.0, containerd 1.7, systemd 257) alike: the
// versions as the programs print them (`check --json` reports the same, through the same
// parser), RootlessKit's capabilities from its --help through the product's own parser, whether
// detach-netns is what `auto` resolves to, and the OS's name. Where behaviour differs by design,
// a test asserts the behaviour for the stack it finds; no test names a version of its own.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseRootlessKitHelp, type RootlessKitHelp } from "../../src/core/rootlesskit/facts.ts";
import { parseVersion } from "../../src/core/os/version.ts";

export interface Machine {
  /** PRETTY_NAME of /etc/os-release, e.g. "Debian GNU/Linux 13 (trixie)" */
  os: string;
  /** RootlessKit as `rootlesskit --version` says (X.Y.Z) and what its --help lists */
  rootlesskit: { version: string; help: RootlessKitHelp };
  /** containerd's X.Y.Z as `containerd --version` says */
  containerd: string;
  slirp4netns: string;
  /** systemd's release number (252, 257, …) */
  systemd: number;
  /** `auto` turns detach-netns on: RootlessKit's --help lists --detach-netns (>= 2.0) */
  detachNetnsByDefault: boolean;
}

function output(argv: string[]): string {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${p.exitCode}): ${p.stderr.toString()}`);
  return p.stdout.toString() + p.stderr.toString();
}

const version = (argv: string[]): string => {
  const v = parseVersion(output(argv));
  if (!v) throw new Error(`${argv.join(" ")} printed no version`);
  return v;
};

let memo: Machine | undefined;

/** This machine's stack (read once per test file). */
export function machine(): Machine {
  if (memo) return memo;
  const help = parseRootlessKitHelp(output(["rootlesskit", "--help"]));
  const os = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
  memo = {
    os,
    rootlesskit: { version: version(["rootlesskit", "--version"]), help },
    containerd: version(["containerd", "--version"]),
    slirp4netns: version(["slirp4netns", "--version"]),
    systemd: Number(/^systemd (\d+)/.exec(output(["systemctl", "--version"]))?.[1] ?? 0),
    detachNetnsByDefault: help.detachNetns,
  };
  return memo;
}

/** Whether detach-netns is in effect for a running RootlessKit: its state dir holds the detached namespace (`netns`). */
export function detachNetnsInEffect(stateDir: string): boolean {
  return existsSync(join(stateDir, "netns"));
}
