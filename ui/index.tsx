// Placeholder until the interactive installer lands.
export async function runInteractive(_: { version: string }): Promise<number> {
  process.stderr.write("The interactive installer is not available yet; run --help for the commands.\n");
  return 2;
}
