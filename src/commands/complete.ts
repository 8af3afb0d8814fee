// The hidden `complete` command the completion scripts call: `complete -- WORDS... CURRENT`
// prints the candidates, one "value<TAB>description" per line, then ":directive"
// (@bomb.sh/tab's protocol). The tree is built from the lazy command map: every command's
// flags, its enum values and the candidates a command module names in `completions`
// (add-on ids after `install `, a setting's values after `configure --port-driver `).
import { defineCommand, type ArgsDef } from "citty";
import { RootCommand, type Command } from "@bomb.sh/tab";
import { commands } from "./index.ts";

const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

function addArgs(cmd: Command, args: ArgsDef, extra: Record<string, () => string[]>): void {
  for (const [name, def] of Object.entries(args)) {
    const values = (def as { options?: string[] }).options ? () => (def as { options: string[] }).options : extra[name];
    if (def.type === "positional") {
      if (values) cmd.argument(name, (complete) => values().forEach((v) => complete(v, "")), true);
      continue;
    }
    const alias = [(def as { alias?: string | string[] }).alias].flat().find((a) => a?.length === 1);
    const description = (def as { description?: string }).description ?? "";
    if (def.type === "boolean") cmd.option(kebab(name), description, alias as string);
    else cmd.option(kebab(name), description, (complete) => (values?.() ?? []).forEach((v) => complete(v, "")), alias);
  }
}

export async function completionTree(): Promise<RootCommand> {
  const root = new RootCommand();
  root.option("help", "Show help", "h");
  root.option("version", "Print the version");
  for (const [name, entry] of Object.entries(commands)) {
    if (entry.hidden) continue;
    const cmd = root.command(name, entry.description);
    const mod = await entry.load();
    addArgs(cmd, (mod.default.args ?? {}) as ArgsDef, mod.completions ?? {});
    cmd.option("help", "Show help for this command", "h");
  }
  return root;
}

export default defineCommand({
  meta: { name: "complete", description: "Answer the shell completion scripts" },
  async run({ rawArgs }) {
    const words = rawArgs.includes("--") ? rawArgs.slice(rawArgs.indexOf("--") + 1) : rawArgs;
    (await completionTree()).parse(words);
    return 0;
  },
});
