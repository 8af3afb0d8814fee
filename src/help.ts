// Help text: the root command list (from the lazy map, without loading any command) and
// one command's usage with its examples. Plain, left-aligned text that reads the same in a
// terminal, a pipe and under NO_COLOR.
import type { ArgsDef } from "citty";
import { commands, type CommandModule } from "./commands/index.ts";
import { BINARY_NAME } from "./core/os/paths.ts";

function columns(rows: [string, string][]): string[] {
  const width = Math.max(0, ...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`.trimEnd());
}

export function rootHelp(version: string): string {
  const visible = Object.entries(commands).filter(([, c]) => !c.hidden);
  return [
    `${BINARY_NAME} ${version}: rootless containerd as a systemd user service, with its add-ons.`,
    "",
    "USAGE",
    `  ${BINARY_NAME} [COMMAND] [OPTIONS]`,
    "  With no command on a terminal, the interactive installer starts.",
    "",
    "COMMANDS",
    ...columns(visible.map(([name, c]) => [name, c.description])),
    "",
    "OPTIONS",
    ...columns([
      ["-h, --help", "Show help (also after a command: COMMAND --help)"],
      ["--version", "Print the version"],
    ]),
    "",
    "EXAMPLES",
    `  ${BINARY_NAME} check`,
    `  ${BINARY_NAME} install --yes`,
    `  ${BINARY_NAME} status --json`,
    "",
  ].join("\n");
}

function flagLabel(name: string, def: ArgsDef[string]): string {
  const aliases = (def as { alias?: string | string[] }).alias;
  const short = (Array.isArray(aliases) ? aliases : aliases ? [aliases] : []).filter((a) => a.length === 1);
  const hint = def.type === "boolean" ? "" : `=${(def as { valueHint?: string }).valueHint ?? name.toUpperCase().replace(/-/g, "_")}`;
  return [...short.map((a) => `-${a}`), `--${name}${hint}`].join(", ");
}

export function commandHelp(name: string, mod: CommandModule): string {
  const def = mod.default;
  const meta = (def.meta ?? {}) as { description?: string };
  const args = (def.args ?? {}) as ArgsDef;
  const positionals = Object.entries(args).filter(([, a]) => a.type === "positional");
  const flags = Object.entries(args).filter(([, a]) => a.type !== "positional");
  const usage = [`${BINARY_NAME} ${name}`, flags.length ? "[OPTIONS]" : "", ...positionals.map(([n, a]) => (a.required === false ? `[${n.toUpperCase()}...]` : `<${n.toUpperCase()}>`))];
  const usageLine = mod.usage ? `${BINARY_NAME} ${name} ${mod.usage}` : usage.filter(Boolean).join(" ");
  const out = [`${BINARY_NAME} ${name}: ${meta.description ?? commands[name]?.description ?? ""}`, "", "USAGE", `  ${usageLine}`];
  if (positionals.length) out.push("", "ARGUMENTS", ...columns(positionals.map(([n, a]) => [n.toUpperCase(), a.description ?? ""])));
  if (flags.length) {
    out.push("", "OPTIONS", ...columns(flags.map(([n, a]) => [flagLabel(n, a), a.description ?? ""])));
  }
  if (mod.examples?.length) out.push("", "EXAMPLES", ...mod.examples.map((e) => `  ${e}`));
  return out.join("\n") + "\n";
}
