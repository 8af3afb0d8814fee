// Strict flag validation on top of citty, which accepts unknown flags silently.
import type { ArgsDef } from "citty";
import { UsageError } from "../core/os/errors.ts";

const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

/** Throws UsageError for an unknown flag, a missing value, or a value outside an enum. */
export function validateFlags(rawArgs: string[], argsDef: ArgsDef): void {
  const byName = new Map<string, { type: string; name: string; options?: string[] }>();
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type === "positional") continue;
    const spec = { type: def.type ?? "string", name, options: (def as { options?: string[] }).options };
    byName.set(kebab(name), spec);
    const aliases = (def as { alias?: string | string[] }).alias;
    for (const a of Array.isArray(aliases) ? aliases : aliases ? [aliases] : []) byName.set(a, spec);
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") return;
    if (!arg.startsWith("-") || arg === "-") continue;
    const eq = arg.indexOf("=");
    const raw = arg.replace(/^--?/, "").slice(0, eq === -1 ? undefined : eq - (arg.startsWith("--") ? 2 : 1));
    let spec = byName.get(raw);
    if (!spec && raw.startsWith("no-")) {
      const positive = byName.get(raw.slice(3));
      if (positive?.type === "boolean") spec = positive;
    }
    if (!spec) throw new UsageError(`unknown option ${arg.slice(0, eq === -1 ? undefined : eq)}`);
    if (spec.type === "boolean") continue;
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = rawArgs[i + 1];
      if (value === undefined || value.startsWith("--")) {
        throw new UsageError(`option --${kebab(spec.name)} needs a value`, `Write --${kebab(spec.name)}=VALUE when the value itself starts with "--".`);
      }
      i++;
    }
    if (spec.options?.length && !spec.options.includes(value)) {
      throw new UsageError(`invalid value "${value}" for --${kebab(spec.name)}; expected one of: ${spec.options.join(", ")}`);
    }
  }
}
