// systemd's unit-file syntax where this tool writes or reads values: the quoting of an
// ExecStart= argument and of an Environment= assignment (specifiers `%` doubled, C escapes),
// and which names are valid environment variable names. One copy, for units and drop-ins.

/** What systemd accepts as an environment variable name (others are ignored with a warning). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const isEnvName = (name: string): boolean => ENV_NAME.test(name);

/** Quotes one ExecStart argument the way systemd parses it (specifiers and variables escaped). */
export function execArg(arg: string): string {
  const escaped = arg.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  return /^[\w@+=:,./%$-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export const execLine = (argv: readonly string[]): string => argv.map(execArg).join(" ");

/**
 * The value of an `Environment=` line that systemd reads back as NAME=VALUE: `NAME="VALUE"`
 * with `\`, `"` and newlines escaped and `%` doubled. `quote: "when-needed"` leaves a value
 * without whitespace, quotes or backslashes bare (`NAME=VALUE`).
 */
export function environmentAssignment(name: string, value: string, quote: "always" | "when-needed" = "always"): string {
  const specifiersEscaped = value.replace(/%/g, "%%");
  if (quote === "when-needed" && !/[\s"'\\]/.test(value)) return `${name}=${specifiersEscaped}`;
  return `${name}="${specifiersEscaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
