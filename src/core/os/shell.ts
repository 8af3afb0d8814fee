// Shell quoting for the command lines this tool shows or hands to a person to run (plans,
// diagnostics, the `sudo sh -eux` block): a word is left bare when it is safe, else put in
// single quotes. One copy, used everywhere a command line is printed.

/** A word as a POSIX shell reads it back unchanged: bare when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one shell line. */
export const shellLine = (argv: readonly string[]): string => argv.map(shellQuote).join(" ");
