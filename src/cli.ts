#!/usr/bin/env bun
// Entry point. Resolves the command from the map (loading only that one), validates the
// flags strictly (unknown flag or command: usage and exit code 2), then runs it with citty.
// With no command on a terminal it opens the interactive installer; that is the only path
// that loads React and Ink.
import { runCommand, type ArgsDef } from "citty";
import { rootHelp, commandHelp } from "./help.ts";
import { commands } from "./commands/index.ts";
import { UserError, UsageError } from "./core/os/errors.ts";
import { sudoBlock } from "./core/checks/findings.ts";
import { InterruptedError } from "./core/plan/interrupt.ts";
import { BINARY_NAME } from "./core/os/paths.ts";
import { validateFlags } from "./commands/_strict-args.ts";
import { VERSION as BUILD_VERSION } from "./core/release/build-info.ts";

const VERSION = BUILD_VERSION;

function fail(e: unknown, usage?: string, json = false): number {
  // With --json, scripts still get one JSON document on stdout when a command fails.
  if (json) {
    const ue = e instanceof UserError ? e : undefined;
    process.stdout.write(JSON.stringify({ ok: false, changed: false, ...(e instanceof InterruptedError ? { cancelled: true } : {}), error: ue?.message ?? String((e as Error)?.message ?? e), fix: ue?.fix, sudoFix: ue?.sudoFix }, null, 2) + "\n");
  }
  if (e instanceof UserError) {
    process.stderr.write(`[ERROR] ${e.message}\n`);
    if (e.fix) process.stderr.write(`${e.fix}\n`);
    if (e.sudoFix?.length) process.stderr.write(`${sudoBlock(e.sudoFix)}\n`);
    if (usage && e instanceof UsageError) process.stderr.write(`\n${usage}`);
    return e.exitCode;
  }
  process.stderr.write(`[ERROR] unexpected failure: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const name = argv.find((a) => !a.startsWith("-"));
  const before = name === undefined ? argv : argv.slice(0, argv.indexOf(name));
  if (before.includes("--version") && name === undefined) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (before.includes("--help") || before.includes("-h")) {
    process.stdout.write(rootHelp(VERSION));
    return 0;
  }
  const stray = before.find((a) => a !== "--version");
  if (stray) return fail(new UsageError(`unknown option ${stray}`), rootHelp(VERSION));

  if (name === undefined) {
    if (process.stdin.isTTY && process.stdout.isTTY) {
      const { runInteractive } = await import("../ui/index.tsx");
      return runInteractive({ version: VERSION });
    }
    return fail(new UsageError("no command given (the interactive installer needs a terminal)", `Run \`${BINARY_NAME} --help\` for the commands.`), rootHelp(VERSION));
  }

  const entry = commands[name];
  if (!entry) return fail(new UsageError(`unknown command "${name}"`), rootHelp(VERSION));
  const mod = await entry.load();
  const rest = argv.slice(argv.indexOf(name) + 1);
  const helpText = () => commandHelp(name, mod);
  const flags = rest.indexOf("--") === -1 ? rest : rest.slice(0, rest.indexOf("--"));
  if (flags.includes("--help") || flags.includes("-h")) {
    process.stdout.write(helpText());
    return 0;
  }
  try {
    const argsDef = (mod.default.args ?? {}) as ArgsDef;
    validateFlags(rest, argsDef);
    const { result } = await runCommand(mod.default, { rawArgs: rest });
    return typeof result === "number" ? result : 0;
  } catch (e) {
    const json = flags.includes("--json");
    if ((e as Error)?.name === "CLIError") return fail(new UsageError((e as Error).message), helpText(), json);
    return fail(e, e instanceof UsageError ? helpText() : undefined, json);
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
