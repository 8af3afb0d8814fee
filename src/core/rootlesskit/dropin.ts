// The RootlessKit settings in containerd.service's drop-in (override.conf): read the
// `Environment=` assignments with systemd's quoting, set or reset our
// CONTAINERD_ROOTLESS_ROOTLESSKIT_* keys, and keep every other line byte for byte.
// Pure text functions; the I/O is one small reader at the end.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import { dropInPath, type Paths, CONTAINERD_UNIT } from "../os/paths.ts";
import { SETTINGS, settingSpec, type SettingKey, type RawSettings } from "./settings.ts";
import type { ResolvedSettings } from "./resolve.ts";
import type { EnvSource, ServiceEnvironment } from "../systemd/service-environment.ts";
import { environmentAssignment, isEnvName } from "../systemd/syntax.ts";

interface Assignment {
  /** the token as written, e.g. `A="x y"` */
  raw: string;
  name: string;
  value: string;
}

interface LogicalLine {
  /** first and last physical line (continuations with a trailing backslash) */
  first: number;
  last: number;
  section: string | null;
  /** set for `Environment=` lines */
  assignments?: Assignment[];
  /** `Environment=` with nothing: systemd clears the list so far */
  clears?: boolean;
  /** the value of an `EnvironmentFile=` line, specifiers expanded ("" clears the list so far) */
  envFile?: string;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v", "\\": "\\", '"': '"', "'": "'", s: " " };

/** Values of the unit specifiers systemd expands in Environment= (`%t`, `%h`, ...), keyed by letter. */
export type Specifiers = Readonly<Record<string, string>>;

/** The specifiers of containerd.service under the user's manager that a path setting may use. */
export function unitSpecifiers(paths: Paths): Specifiers {
  return { h: paths.home, t: paths.runtimeDir, E: paths.configHome, T: "/tmp", V: "/var/tmp", n: CONTAINERD_UNIT, N: "containerd", p: "containerd" };
}

/** One C escape after a backslash at `text[i]` (systemd's cunescape): [text, next index], or null when invalid. */
function unescapeAt(text: string, i: number): [string, number] | null {
  const c = text[i]!;
  if (ESCAPES[c] !== undefined) return [ESCAPES[c]!, i + 1];
  const hex = { x: 2, u: 4, U: 8 }[c];
  const digits = hex ? text.slice(i + 1, i + 1 + hex) : text.slice(i, i + 3);
  if (hex ? !new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits) : !/^[0-7]{3}$/.test(digits)) return null;
  const code = parseInt(digits, hex ? 16 : 8);
  if (code === 0 || code > 0x10ffff) return null;
  return [String.fromCodePoint(code), i + (hex ? 1 + hex : 3)];
}


/**
 * Splits an Environment= value into words like systemd: quotes anywhere in a word, C escapes,
 * then specifiers (`%%`, and those in `specifiers`; others stay as written). As in systemd, an
 * invalid escape or an open quote ends the line: the rest is kept as one word without a name,
 * like words without `=`, so that rewriting the line keeps them; only valid names count.
 */
export function parseEnvironmentValue(text: string, specifiers: Specifiers = {}): Assignment[] {
  const out: Assignment[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const start = i;
    let word = "";
    let quote: string | null = null;
    let broken = false;
    while (i < text.length && !broken) {
      const c = text[i]!;
      if (!quote && /\s/.test(c)) break;
      if (c === "\\") {
        const e = i + 1 < text.length ? unescapeAt(text, i + 1) : null;
        if (e) [word, i] = [word + e[0], e[1]];
        else broken = true;
        continue;
      }
      if (quote && c === quote) quote = null;
      else if (!quote && (c === '"' || c === "'")) quote = c;
      else word += c;
      i++;
    }
    if (broken || quote) {
      out.push({ raw: text.slice(start), name: "", value: "" });
      break;
    }
    word = expandSpecifiers(word, specifiers);
    const eq = word.indexOf("=");
    const name = eq > 0 ? word.slice(0, eq) : "";
    out.push({ raw: text.slice(start, i), name: isEnvName(name) ? name : "", value: eq > 0 ? word.slice(eq + 1) : "" });
  }
  return out;
}

const ENV_LINE = /^\s*Environment\s*=(.*)$/;
const ENV_FILE_LINE = /^\s*EnvironmentFile\s*=(.*)$/;
const expandSpecifiers = (text: string, specifiers: Specifiers) => text.replace(/%(.)/g, (m, s: string) => (s === "%" ? "%" : (specifiers[s] ?? m)));

function parseLines(physical: string[], specifiers: Specifiers = {}): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let section: string | null = null;
  for (let i = 0; i < physical.length; i++) {
    const first = i;
    const trimmed = physical[i]!.trim();
    if (trimmed.startsWith("#") || trimmed.startsWith(";") || trimmed === "") {
      lines.push({ first, last: i, section });
      continue;
    }
    let text = physical[i]!.replace(/\r$/, "");
    while (/\\\s*$/.test(text) && i + 1 < physical.length) {
      const next = physical[++i]!.replace(/\r$/, "");
      if (!/^\s*[#;]/.test(next)) text = text.replace(/\\\s*$/, " ") + next; // systemd skips comments inside a continuation
    }
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(text);
    if (header) {
      section = header[1]!;
      lines.push({ first, last: i, section });
      continue;
    }
    const env = section === "Service" ? ENV_LINE.exec(text) : null;
    const envFile = section === "Service" ? ENV_FILE_LINE.exec(text) : null;
    if (env) {
      const assignments = parseEnvironmentValue(env[1]!, specifiers);
      lines.push({ first, last: i, section, assignments, clears: env[1]!.trim() === "" });
    } else if (envFile) lines.push({ first, last: i, section, envFile: expandSpecifiers(envFile[1]!.trim(), specifiers) });
    else lines.push({ first, last: i, section });
  }
  return lines;
}

/** What a unit file's [Service] section says about the environment, line by line. */
export type EnvDirective =
  | { kind: "set"; name: string; value: string }
  /** `Environment=` with nothing: the assignments so far (of every file) are dropped */
  | { kind: "clear" }
  /** `EnvironmentFile=PATH`, as written after specifiers (a leading `-` = optional) */
  | { kind: "file"; path: string }
  /** `EnvironmentFile=` with nothing: the files so far are dropped */
  | { kind: "clear-files" };

export function environmentDirectives(text: string, specifiers: Specifiers = {}): EnvDirective[] {
  const out: EnvDirective[] = [];
  for (const line of parseLines(text.split("\n"), specifiers)) {
    if (line.clears) out.push({ kind: "clear" });
    for (const a of line.assignments ?? []) if (a.name) out.push({ kind: "set", name: a.name, value: a.value });
    if (line.envFile !== undefined) out.push(line.envFile === "" ? { kind: "clear-files" } : { kind: "file", path: line.envFile });
  }
  return out;
}

/** Every variable the drop-in's [Service] Environment= lines set, as systemd applies them in order. */
export function dropInEnvironment(text: string, specifiers: Specifiers = {}): Record<string, string> {
  let env: Record<string, string> = {};
  for (const d of environmentDirectives(text, specifiers)) {
    if (d.kind === "clear") env = {};
    else if (d.kind === "set") env[d.name] = d.value;
  }
  return env;
}

/** Our settings as set in a drop-in's text. */
export function dropInSettings(text: string, specifiers: Specifiers = {}): RawSettings {
  const env = dropInEnvironment(text, specifiers);
  const raw: RawSettings = {};
  for (const s of SETTINGS) if (env[s.env] !== undefined) raw[s.key] = env[s.env];
  return raw;
}

/**
 * Sets (string) or resets (null) our keys in a drop-in's text and returns the new text.
 * Lines that hold none of the changed keys stay byte for byte; a line that mixes a changed
 * key with other variables keeps the other assignments as written. A set key takes the place
 * of its old line, else goes at the end of the last [Service] section (created if missing).
 */
export function updateDropIn(text: string, changes: Partial<Record<SettingKey, string | null>>): string {
  const physical = text === "" ? [] : text.split("\n");
  const trailingNewline = text === "" || text.endsWith("\n");
  if (trailingNewline && physical.length) physical.pop();
  const lines = parseLines(physical);
  const changedEnv = new Set(Object.keys(changes).map((k) => settingSpec(k as SettingKey).env));
  const toSet = SETTINGS.filter((s) => typeof changes[s.key] === "string").map((s) => ({ env: s.env, text: `Environment=${environmentAssignment(s.env, changes[s.key]!)}` }));
  const placed = new Set<string>();

  const out: string[] = [];
  let lastServiceEnd = -1; // index in `out` after the last line of the last [Service] section
  for (const line of lines) {
    const hit = line.assignments?.filter((a) => changedEnv.has(a.name)) ?? [];
    if (hit.length === 0) {
      for (let p = line.first; p <= line.last; p++) out.push(physical[p]!);
    } else {
      const rest = line.assignments!.filter((a) => !changedEnv.has(a.name));
      if (rest.length) out.push(physical[line.first]!.replace(/=.*$/s, "=") + rest.map((a) => a.raw).join(" "));
      for (const s of toSet) {
        if (!placed.has(s.env) && hit.some((a) => a.name === s.env)) {
          out.push(s.text);
          placed.add(s.env);
        }
      }
    }
    if (line.section === "Service" && physical[line.first]!.trim() !== "") lastServiceEnd = out.length;
  }
  const pending = toSet.filter((s) => !placed.has(s.env)).map((s) => s.text);
  if (pending.length) {
    if (lastServiceEnd >= 0) out.splice(lastServiceEnd, 0, ...pending);
    else {
      if (out.length && out[out.length - 1]!.trim() !== "") out.push("");
      out.push("[Service]", ...pending);
    }
  }
  return out.length ? out.join("\n") + (trailingNewline ? "\n" : "") : "";
}

/** True when the text holds nothing but section headers, blank lines and nothing else (safe to delete). */
export function isEmptyDropIn(text: string): boolean {
  return text.split("\n").every((l) => l.trim() === "" || /^\s*\[Service\]\s*$/.test(l));
}

export interface DropInFile {
  path: string;
  text: string;
}

/** containerd.service.d/*.conf in the order systemd applies them (lexical). */
export async function readDropIns(host: Host, paths: Paths): Promise<DropInFile[]> {
  const dir = join(paths.unitDir, `${CONTAINERD_UNIT}.d`);
  const names = ((await host.readdir(dir)) ?? []).filter((n) => n.endsWith(".conf")).sort();
  const files: DropInFile[] = [];
  for (const name of names) {
    const text = await host.readText(join(dir, name));
    if (text !== null) files.push({ path: join(dir, name), text });
  }
  return files;
}

export function overridePath(paths: Paths): string {
  return dropInPath(paths, CONTAINERD_UNIT);
}

export type SettingSource = "default" | EnvSource;

export interface EffectiveSetting {
  key: SettingKey;
  env: string;
  flag: string;
  /** the value as set, or undefined when the default applies */
  value: string | undefined;
  source: SettingSource;
  /** the drop-in (or unit file) with the Environment= line, or the environment file, that sets it */
  file?: string;
  /** for an environment file: the drop-in whose EnvironmentFile= names it */
  via?: string;
  /** the value in effect after defaults and auto-detection, when known */
  resolved?: string;
}

/** Where each setting comes from for the service (serviceEnvironment), else the default. */
export function effectiveSettings(service: ServiceEnvironment, resolved?: ResolvedSettings): EffectiveSetting[] {
  return SETTINGS.map((s) => {
    const base = { key: s.key, env: s.env, flag: s.flag, resolved: resolved ? resolvedText(resolved, s.key) : undefined };
    const v = service.vars[s.env];
    if (!v) return { ...base, value: undefined, source: "default" as const };
    return { ...base, value: v.value, source: v.source, ...(v.file ? { file: v.file } : {}), ...(v.via ? { via: v.via } : {}) };
  });
}

/** A setting's value in effect; undefined for a proxy variable (no default, nothing to resolve). */
export function resolvedText(r: ResolvedSettings, key: SettingKey): string | undefined {
  switch (key) {
    case "httpProxy":
    case "httpsProxy":
    case "noProxy":
      return undefined;
    case "detachNetns":
      return String(r.detachNetns);
    case "flags":
      return r.flags.join(" ");
    case "mtu":
      return String(r.mtu);
    default:
      return String(r[key]);
  }
}
