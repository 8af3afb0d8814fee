// The user's containerd config.toml and the add-on drop-ins beside it.
// Each snapshotter add-on owns one file, <conf.d>/<name>.toml, holding its
// [proxy_plugins."<name>"] table; config.toml gets one `imports` entry with the ABSOLUTE glob
// <conf.d>/*.toml (containerd 1.6 silently ignores a relative glob). So any number of add-ons
// can be installed together and removed in any order, and the user's config.toml changes by
// the smallest insertion, which removing the last drop-in takes out again byte for byte.
//
// Decisions:
// - drop-ins carry no `version` key: containerd 2.3 refuses a drop-in whose version is higher
//   than the root config's (none is never higher), and proxy_plugins mean the same in versions
//   1 to 4 (2.x migrates a versionless file on load). What each containerd accepts: rules.ts.
// - a proxy plugin of the same name already defined in the user's config.toml is left alone:
//   identical type and address -> accepted (the drop-in repeats it); different -> refused,
//   naming the line, because the drop-in would silently override the user's choice.
// - a missing config.toml is created as `version = N` + imports, N the highest version the
//   installed containerd reads (2 for 1.6/1.7, 3 for 2.0-2.2, 4 for 2.3), and deleted again on removal
//   while it is still exactly what we created (recorded at creation: a user's own
//   `version = 2` file reads the same once our line is in it, and must come back, not go).
import { join } from "node:path";
import type { Paths } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import { escapeGlob } from "../os/text.ts";
import {
  eolOf,
  insertLine,
  lineStartOf,
  onlyIndentBefore,
  parseTomlChecked,
  removeLine,
  scanArray,
  scanTopLevel,
  tomlKeyLines,
  tomlString,
  topLevelInsertionPoint,
} from "./toml-text.ts";

export const IMPORTS_COMMENT = "# add-on drop-ins, managed by containerd-rootless-systemd";

/** The absolute glob config.toml imports (glob metacharacters in the path are escaped). */
export function importGlob(paths: Paths): string {
  return importGlobOf(paths.containerdConfD);
}

/** The absolute glob of the `*.toml` files in `dir`. */
export function importGlobOf(dir: string): string {
  return join(escapeGlob(dir), "*.toml");
}

export function dropInPath(paths: Paths, name: string): string {
  return join(paths.containerdConfD, `${name}.toml`);
}

export function proxyPluginDropIn(name: string, address: string, type = "snapshot"): string {
  return [
    `# Registers the ${name} ${type}ter with containerd; managed by containerd-rootless-systemd`,
    `# (removed with the add-on). config.toml imports this directory.`,
    `[proxy_plugins.${tomlString(name)}]`,
    `  type = ${tomlString(type)}`,
    `  address = ${tomlString(address)}`,
    "",
  ].join("\n");
}

const importsLine = (glob: string) => `imports = [${tomlString(glob)}] ${IMPORTS_COMMENT}`;

/** config.toml holds the imports line exactly as this tool writes it (marker comment included). */
export function hasOwnImportsLine(text: string, glob: string): boolean {
  const entry = importsEntry(text);
  return Boolean(entry && text.slice(entry.lineStart, entry.lineEnd).replace(/\r?\n$/, "") === importsLine(glob));
}

/** What config.toml becomes when it did not exist. */
export function createdConfig(glob: string, version = 2): string {
  return `version = ${version}\n${importsLine(glob)}\n`;
}

/** config.toml is exactly what createdConfig made, for any containerd this tool may have seen. */
export function isCreatedConfig(text: string, glob: string): boolean {
  return [2, 3, 4].some((v) => text === createdConfig(glob, v));
}

function importsEntry(text: string) {
  return scanTopLevel(text).entries.find((e) => e.key === "imports");
}

function holdsGlob(text: string, glob: string): boolean {
  const entry = importsEntry(text);
  if (!entry || text[entry.valueStart] !== "[") return false;
  return scanArray(text, entry.valueStart).elements.some((el) => elementValue(el.text) === glob);
}

function elementValue(raw: string): string | undefined {
  try {
    const v = parseTomlChecked(`v = ${raw}`, "element").v;
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * config.toml with the glob added to `imports` (null text = the file does not exist).
 * Returns the same text when the glob is already there.
 */
export function addImport(text: string | null, glob: string, file = "config.toml", createVersion = 2): string {
  if (text === null) return createdConfig(glob, createVersion);
  const parsed = parseTomlChecked(text, file);
  if (parsed.imports !== undefined && !Array.isArray(parsed.imports)) {
    const example = typeof parsed.imports === "string" ? `imports = [${tomlString(parsed.imports)}]` : `imports = ["/path/a.toml"]`;
    throw new UserError(`${file}: "imports" is not an array (containerd refuses such a file)`, `Make it a list of files, e.g. ${example}, then run this again. Nothing was changed.`);
  }
  const entry = importsEntry(text);
  if (!entry) {
    const scan = scanTopLevel(text);
    return insertLine(text, topLevelInsertionPoint(text, scan, "version"), importsLine(glob));
  }
  if (holdsGlob(text, glob)) return text;
  const arr = scanArray(text, entry.valueStart);
  const el = tomlString(glob);
  const last = arr.elements.length - 1;
  if (last < 0) return text.slice(0, arr.open + 1) + el + text.slice(arr.open + 1);
  const closeOnOwnLine = onlyIndentBefore(text, arr.close);
  const lastEl = arr.elements[last]!;
  const indent = /^[ \t]*/.exec(text.slice(lineStartOf(text, lastEl.start)))![0];
  const eol = eolOf(text);
  const closeLine = lineStartOf(text, arr.close);
  if (arr.commaAfter[last]! >= 0) {
    if (closeOnOwnLine) return text.slice(0, closeLine) + indent + el + "," + eol + text.slice(closeLine);
    const c = arr.commaAfter[last]! + 1;
    return text.slice(0, c) + " " + el + "," + text.slice(c);
  }
  if (closeOnOwnLine) {
    return text.slice(0, lastEl.end) + "," + text.slice(lastEl.end, closeLine) + indent + el + eol + text.slice(closeLine);
  }
  return text.slice(0, lastEl.end) + ", " + el + text.slice(lastEl.end);
}

/**
 * The inverse of addImport: config.toml without the glob (unchanged when the glob is absent).
 * Whether a file this tool created goes away entirely is the caller's decision (it knows).
 */
export function removeImport(text: string, glob: string, file = "config.toml"): string {
  parseTomlChecked(text, file);
  const entry = importsEntry(text);
  if (!entry || text[entry.valueStart] !== "[") return text;
  const ownLine = text.slice(entry.lineStart, entry.lineEnd).replace(/\r?\n$/, "");
  if (ownLine === importsLine(glob)) return removeLine(text, entry.lineStart);
  const arr = scanArray(text, entry.valueStart);
  const k = arr.elements.findIndex((e) => elementValue(e.text) === glob);
  if (k < 0) return text;
  const e = arr.elements[k]!;
  const comma = arr.commaAfter[k]!;
  const aloneOnLine = onlyIndentBefore(text, e.start);
  if (comma >= 0) {
    const rest = text.slice(comma + 1, text.indexOf("\n", comma) + 1 || text.length);
    if (aloneOnLine && /^[ \t]*\r?\n$/.test(rest)) return removeLine(text, lineStartOf(text, e.start));
    let s = e.start;
    if (text[s - 1] === " ") s--;
    return text.slice(0, s) + text.slice(comma + 1);
  }
  if (k === 0) return text.slice(0, e.start) + text.slice(e.end);
  const prev = arr.elements[k - 1]!;
  const prevComma = arr.commaAfter[k - 1]!;
  if (aloneOnLine) {
    const withoutLine = removeLine(text, lineStartOf(text, e.start));
    return withoutLine.slice(0, prevComma) + withoutLine.slice(prevComma + 1);
  }
  return text.slice(0, prev.end) + text.slice(e.end);
}

/** The config with the `imports` element whose value is `from` (however it is quoted) pointing at `to` instead. */
export function replaceImport(text: string, from: string, to: string): string {
  const entry = importsEntry(text);
  if (!entry || text[entry.valueStart] !== "[") return text;
  const el = scanArray(text, entry.valueStart).elements.find((e) => elementValue(e.text) === from);
  return el ? text.slice(0, el.start) + tomlString(to) + text.slice(el.end) : text;
}

/** The proxy plugins the user's own config.toml defines, with the line of each header. */
export function userProxyPlugins(text: string, file = "config.toml"): Map<string, { type?: string; address?: string; line: number }> {
  const parsed = parseTomlChecked(text, file);
  const out = new Map<string, { type?: string; address?: string; line: number }>();
  const table = parsed.proxy_plugins;
  if (!table || typeof table !== "object") return out;
  const lines = tomlKeyLines(text);
  for (const [name, def] of Object.entries(table as Record<string, Record<string, unknown>>)) {
    out.set(name, {
      type: typeof def?.type === "string" ? def.type : undefined,
      address: typeof def?.address === "string" ? def.address : undefined,
      line: lines.get(JSON.stringify(["proxy_plugins", name]))?.line ?? 0,
    });
  }
  return out;
}

/** Refuses when the user's config.toml registers `name` differently from what we would. */
export function checkProxyConflict(text: string | null, file: string, name: string, address: string, type = "snapshot"): "none" | "same" {
  if (text === null) return "none";
  const mine = userProxyPlugins(text, file).get(name);
  if (!mine) return "none";
  if (mine.type === type && mine.address === address) return "same";
  const at = mine.line ? ` (line ${mine.line})` : "";
  throw new UserError(
    `${file}${at} already defines [proxy_plugins."${name}"] with type ${JSON.stringify(mine.type)} and address ${JSON.stringify(mine.address)}; ` +
      `this add-on would register type "${type}" at ${JSON.stringify(address)} and override it.`,
    `Remove that table from ${file} (or set its address to ${JSON.stringify(address)}), then run this again. Nothing was changed.`,
  );
}

/**
 * Non-fatal remarks about the user's imports: relative globs, which containerd before 1.6.29 /
 * 1.7.16 silently ignores (later ones and 2.x resolve them against config.toml's directory).
 */
export function importWarnings(text: string | null, file: string, rules: { relativeGlobs: boolean; containerd: string | null } = { relativeGlobs: false, containerd: null }): string[] {
  if (text === null || rules.relativeGlobs) return [];
  const imports = parseTomlChecked(text, file).imports;
  if (!Array.isArray(imports)) return [];
  const who = rules.containerd ? `the installed containerd ${rules.containerd}` : "containerd before 1.6.29 and 1.7.16";
  return imports
    .filter((p): p is string => typeof p === "string" && !p.startsWith("/") && /[*?[]/.test(p))
    .map((p) => `${file} imports the relative glob ${JSON.stringify(p)}; ${who} silently ignores relative globs (1.6.29, 1.7.16 and 2.x resolve them). Make it absolute.`);
}
