// The compiled binary's command line: --version, --help (root and every command), strict
// usage errors with exit code 2, JSON on failure, and no autoloading of .env or bunfig.toml
// from the directory it runs in. These need no sandbox user.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY } from "../helpers/e2e.ts";
import { commands } from "../../src/commands/index.ts";
import pkg from "../../package.json" with { type: "json" };

const ANSI = /\x1b\[/;
let dir = "";

function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const p = Bun.spawnSync([BINARY, ...args], { cwd: opts.cwd ?? dir, env: { PATH: process.env.PATH!, HOME: dir, ...opts.env }, stdin: "ignore" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

beforeAll(() => {
  expect(existsSync(BINARY)).toBe(true);
  dir = mkdtempSync(join(tmpdir(), "crs-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("--version prints the package version", () => {
  const r = cli(["--version"]);
  expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
});

test("--help lists every visible command with examples; no colour in a pipe", () => {
  const r = cli(["--help"]);
  expect(r.code).toBe(0);
  for (const [name, entry] of Object.entries(commands)) {
    if (entry.hidden) expect(r.stdout).not.toMatch(new RegExp(`^  ${name} `, "m"));
    else expect(r.stdout).toMatch(new RegExp(`^  ${name} +${entry.description.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"));
  }
  expect(r.stdout).toContain("EXAMPLES");
  expect(r.stdout).not.toMatch(ANSI);
});

test("every command has --help with usage and examples", () => {
  for (const [name, entry] of Object.entries(commands)) {
    if (entry.hidden) continue;
    const r = cli([name, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`USAGE\n  containerd-rootless-systemd ${name}`);
    expect(r.stdout).toContain("\nEXAMPLES\n  containerd-rootless-systemd ");
    expect(r.stdout).not.toMatch(ANSI);
  }
});

test("an unknown command, an unknown flag or a missing value is exit 2 with the usage", () => {
  const unknownCommand = cli(["instal"]);
  expect(unknownCommand.code).toBe(2);
  expect(unknownCommand.stderr).toContain('[ERROR] unknown command "instal"');
  expect(unknownCommand.stderr).toContain("COMMANDS");

  const unknownFlag = cli(["status", "--jsn"]);
  expect(unknownFlag.code).toBe(2);
  expect(unknownFlag.stderr).toContain("[ERROR] unknown option --jsn");
  expect(unknownFlag.stderr).toContain("USAGE\n  containerd-rootless-systemd status");

  const missingValue = cli(["configure", "--mtu"]);
  expect(missingValue.code).toBe(2);
  expect(missingValue.stderr).toContain("option --mtu needs a value");

  const badEnum = cli(["install-buildkit", "--worker=fast", "--dry-run"]);
  expect(badEnum.code).toBe(2);
  expect(badEnum.stderr).toContain('invalid value "fast" for --worker; expected one of: oci, containerd');
});

test("no command without a terminal: exit 2 and where to look", () => {
  const r = cli([]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("no command given (the interactive installer needs a terminal)");
});

test("--json still prints one JSON document when a command fails", () => {
  const r = cli(["install", "--yes", "--json"]); // refused: we are root here
  expect(r.code).toBe(1);
  const doc = JSON.parse(r.stdout);
  expect(doc.ok).toBe(false);
  expect(doc.changed).toBe(false);
});

test("the binary does not autoload .env or bunfig.toml from the working directory", () => {
  const marker = join(dir, "preloaded");
  writeFileSync(join(dir, "evil.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x");`);
  writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
  expect(cli(["--version"]).code).toBe(0);
  expect(existsSync(marker)).toBe(false);
  // FORCE_COLOR colours the [ERROR] tag (the refusal as root); from a .env file it must not
  expect(cli(["check"], { env: { FORCE_COLOR: "1" } }).stderr).toMatch(ANSI);
  writeFileSync(join(dir, ".env"), "FORCE_COLOR=1\n");
  const r = cli(["check"]);
  expect(r.stderr).toContain("[ERROR] Refusing");
  expect(r.stderr).not.toMatch(ANSI);
});
