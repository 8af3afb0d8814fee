// The desired-state file of `apply -f FILE`: the whole setup in TOML, YAML or JSON (confbox).
//
//   [containerd]            installed = true | false
//   [settings]              the `configure` flags without "--": net, mtu, port-driver,
//                           slirp4netns-sandbox, slirp4netns-seccomp, detach-netns, state-dir, flags
//   addons = [...]          add-on ids, or tables { name = "buildkit", worker = "containerd" }
//   snapshotter = "..."     nerdctl's default: overlayfs | fuse-overlayfs | stargz | native
//   [components]            version, from, sha256: the nerdctl-full bundle the service runs
//
// A section that is present is the whole truth for what it covers (settings not named return
// to their defaults, add-ons not listed are removed); a section left out is not managed.
// Every problem is reported with the key, and the line and column where it is written.
import { parseJSON, parseTOML, parseYAML } from "confbox";
import { UserError } from "../os/errors.ts";
import { HostError, type Host } from "../os/host.ts";
import { SETTINGS, valueProblem, type RawSettings, type SettingKey } from "../rootlesskit/settings.ts";
import { isAddonName, resolveAddon } from "../lifecycle/addons.ts";
import { plugins } from "../../plugins/registry.ts";
import { locator, positionAt, type PathKey, type Position } from "./positions.ts";
import { checkJson } from "./json.ts";
import { shellLine } from "../os/shell.ts";
import { checkHex, normalizeVersion } from "../components/release.ts";

export type DesiredFormat = "toml" | "yaml" | "json";
export const SNAPSHOTTERS = ["overlayfs", "fuse-overlayfs", "stargz", "native"] as const;
export type Snapshotter = (typeof SNAPSHOTTERS)[number];
/** snapshotters served by an add-on (the others are built into containerd) */
export const ADDON_SNAPSHOTTERS: readonly string[] = ["fuse-overlayfs", "stargz"];
const TOP_KEYS = ["containerd", "settings", "addons", "snapshotter", "components"];
const COMPONENT_KEYS = ["version", "from", "sha256", "insecure-http"] as const;

export interface DesiredAddon {
  id: string;
  options: Record<string, string>;
  /** where the add-on is named in the file */
  at?: Position;
}

export interface DesiredState {
  /** undefined: not managed */
  containerd?: { installed: boolean };
  /** our settings as the file sets them; keys left out go back to their defaults */
  settings?: RawSettings;
  addons?: DesiredAddon[];
  snapshotter?: Snapshotter;
  /** the nerdctl-full bundle to fetch and make active (as `components install`) */
  components?: { version?: string; from?: string; sha256?: string; insecureHttp?: boolean };
}

export interface ParsedDesiredState {
  state: DesiredState;
  format: DesiredFormat;
  file: string;
  /** line and column of a key path (for problems found later, e.g. against the machine) */
  position: (path: readonly PathKey[]) => Position | undefined;
}

export interface DesiredProblem {
  key: string;
  position?: Position;
  message: string;
}

/** A refused desired-state file: every problem with its key and position; nothing was changed. */
export class DesiredStateError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: DesiredProblem[],
  ) {
    super(
      `${file} is refused; nothing was changed:\n` + problems.map((p) => `  ${file}${p.position ? `:${p.position.line}:${p.position.column}` : ""}: ${p.key}: ${p.message}`).join("\n"),
      "Fix the keys named above and run apply again (`containerd-rootless-systemd apply --help` describes the file).",
    );
    this.name = "DesiredStateError";
  }
}

/** The format from the file name, else from the content (stdin). */
export function detectFormat(file: string, text: string): DesiredFormat {
  if (/\.toml$/i.test(file)) return "toml";
  if (/\.ya?ml$/i.test(file)) return "yaml";
  if (/\.json$/i.test(file)) return "json";
  const t = text.trimStart();
  if (t.startsWith("{")) return "json";
  if (/^\s*\[\[?[\w."' -]+\]\]?\s*(#.*)?$/m.test(text) || /^\s*[\w."'-]+\s*=/m.test(text)) return "toml";
  return "yaml";
}

function syntaxPosition(e: unknown, format: DesiredFormat): Position | undefined {
  const err = e as { line?: number; column?: number; mark?: { line: number; column: number } };
  if (format === "toml" && err.line) return { line: err.line, column: err.column ?? 1 };
  if (format === "yaml" && err.mark) return { line: err.mark.line + 1, column: err.mark.column + 1 };
  return undefined;
}

function parseText(text: string, format: DesiredFormat): unknown {
  return format === "toml" ? parseTOML(text) : format === "yaml" ? parseYAML(text) : parseJSON(text);
}

const typeName = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a table" : `${typeof v} ${JSON.stringify(v)}`);
const isTable = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The flag name of a setting without "--": the key used in the file. */
export const settingFileKey = (key: SettingKey) => SETTINGS.find((s) => s.key === key)!.flag.slice(2);

export function parseDesiredState(text: string, file: string, format = detectFormat(file, text)): ParsedDesiredState {
  const at = locator(text, format);

  if (text.trim() === "") throw new DesiredStateError(file, [{ key: "(file)", message: `the file is empty; name at least one of: ${TOP_KEYS.join(", ")}` }]);
  if (format === "json") {
    // JSON.parse names no position and keeps the last of duplicate keys: check strictly first
    const found = checkJson(text);
    if (found.length) throw new DesiredStateError(file, found.map((p) => ({ key: p.key, position: positionAt(text, p.offset), message: p.key === "(syntax)" ? `not valid JSON: ${p.message}` : p.message })));
  }
  let doc: unknown;
  try {
    doc = parseText(text, format);
  } catch (e) {
    const reason = ((e as { reason?: string }).reason ?? (e as Error).message).replace(/^Invalid TOML document:\s*/, "").split("\n")[0];
    throw new DesiredStateError(file, [{ key: "(syntax)", position: syntaxPosition(e, format), message: `not valid ${format.toUpperCase()}: ${reason}` }]);
  }
  return checkDesiredDocument(doc, file, format, at);
}

/**
 * The checks of a parsed document (a file's, or the installer's choices as one: choices.ts), every
 * problem at once with its key and, where `at` finds it, its line and column.
 */
export function checkDesiredDocument(doc: unknown, file: string, format: DesiredFormat, at: ParsedDesiredState["position"]): ParsedDesiredState {
  const problems: DesiredProblem[] = [];
  const bad = (key: string, path: readonly PathKey[], message: string) => problems.push({ key, position: at(path), message });
  if (!isTable(doc)) throw new DesiredStateError(file, [{ key: "(file)", message: `expected a table of keys (${TOP_KEYS.join(", ")}), found ${typeName(doc)}` }]);

  const state: DesiredState = {};
  for (const key of Object.keys(doc)) if (!TOP_KEYS.includes(key)) bad(key, [key], `unknown key; expected one of: ${TOP_KEYS.join(", ")}`);

  if (doc.containerd !== undefined) {
    const c = doc.containerd;
    if (!isTable(c)) bad("containerd", ["containerd"], `expected a table with "installed", found ${typeName(c)}`);
    else {
      for (const k of Object.keys(c)) if (k !== "installed") bad(`containerd.${k}`, ["containerd", k], 'unknown key; expected "installed"');
      if (typeof c.installed !== "boolean") bad("containerd.installed", c.installed === undefined ? ["containerd"] : ["containerd", "installed"], c.installed === undefined ? "missing; expected true or false" : `expected true or false, found ${typeName(c.installed)}`);
      else state.containerd = { installed: c.installed };
    }
  }

  if (doc.settings !== undefined) {
    const s = doc.settings;
    if (!isTable(s)) bad("settings", ["settings"], `expected a table of settings, found ${typeName(s)}`);
    else {
      const raw: RawSettings = {};
      for (const [k, v] of Object.entries(s)) {
        const spec = SETTINGS.find((x) => x.flag.slice(2) === k);
        const path = ["settings", k];
        if (!spec) {
          const hint = format === "toml" && TOP_KEYS.includes(k) ? ` (in TOML, "${k}" must come before the first [table] header to be a top-level key)` : "";
          bad(`settings.${k}`, path, `unknown setting; expected one of: ${SETTINGS.map((x) => x.flag.slice(2)).join(", ")}${hint}`);
          continue;
        }
        let value: string | undefined;
        if (spec.key === "mtu") value = typeof v === "number" && Number.isInteger(v) ? String(v) : undefined;
        else if (spec.key === "flags") value = typeof v === "string" ? v : Array.isArray(v) /* a list: one string the launcher splits back into the same words */ && v.every((w) => typeof w === "string") ? shellLine(v as string[]) : undefined;
        else if (spec.values?.includes("true") && typeof v === "boolean") value = String(v);
        else value = typeof v === "string" ? v : undefined;
        if (value === undefined) {
          const expected = spec.key === "mtu" ? "a whole number" : spec.key === "flags" ? "a string or a list of strings" : spec.values?.includes("true") ? `true, false or "auto"` : "a string";
          bad(`settings.${k}`, path, `expected ${expected}, found ${typeName(v)}`);
          continue;
        }
        const problem = valueProblem(spec.key, value);
        if (problem) bad(`settings.${k}`, path, `${problem} (found ${JSON.stringify(v)})`);
        else raw[spec.key] = value;
      }
      state.settings = raw;
    }
  }

  if (doc.addons !== undefined) {
    const list = doc.addons;
    if (!Array.isArray(list)) bad("addons", ["addons"], `expected a list of add-ons, found ${typeName(list)}`);
    else {
      const addons: DesiredAddon[] = [];
      list.forEach((item, i) => {
        const name = typeof item === "string" ? item : isTable(item) && typeof item.name === "string" ? item.name : undefined;
        const key = `addons[${i}]`;
        if (name === undefined) {
          bad(key, ["addons", i], `expected an add-on name or a table with "name", found ${typeName(item)}`);
          return;
        }
        const path: PathKey[] = ["addons", i];
        if (!isAddonName(name)) {
          bad(key, path, `unknown add-on "${name}"; known add-ons: ${listAddonIds().join(", ")}`);
          return;
        }
        const plugin = resolveAddon(name);
        if (plugin.runs === "none") {
          bad(key, path, `"${name}" is a RootlessKit setting here: use settings.${name} = true instead`);
          return;
        }
        if (addons.some((a) => a.id === plugin.id)) {
          bad(key, path, `"${name}" is listed twice`);
          return;
        }
        const options: Record<string, string> = {};
        for (const [k, v] of isTable(item) ? Object.entries(item) : []) {
          if (k === "name") continue;
          const opt = plugin.options?.find((o) => o.key === k);
          const optPath = [...path, k];
          if (!opt) bad(`${key}.${k}`, optPath, `unknown option of ${plugin.id}; ${plugin.options?.length ? `expected one of: ${plugin.options.map((o) => o.key).join(", ")}` : "it has none"}`);
          else if (typeof v !== "string") bad(`${key}.${k}`, optPath, `expected a string, found ${typeName(v)}`);
          else if (opt.choices && !opt.choices.includes(v)) bad(`${key}.${k}`, optPath, `expected one of: ${opt.choices.join(", ")} (found "${v}")`);
          else if (opt.validate?.(v)) bad(`${key}.${k}`, optPath, opt.validate(v)!);
          else options[k] = v;
        }
        addons.push({ id: plugin.id, options, at: at(path) });
      });
      state.addons = addons;
    }
  }

  if (doc.snapshotter !== undefined) {
    const s = doc.snapshotter;
    if (typeof s !== "string" || !(SNAPSHOTTERS as readonly string[]).includes(s)) bad("snapshotter", ["snapshotter"], `expected one of: ${SNAPSHOTTERS.join(", ")} (found ${typeName(s)})`);
    else state.snapshotter = s as Snapshotter;
  }

  if (doc.components !== undefined) {
    const c = doc.components;
    if (!isTable(c)) bad("components", ["components"], `expected a table with ${COMPONENT_KEYS.join(", ")}, found ${typeName(c)}`);
    else {
      const out: NonNullable<DesiredState["components"]> = {};
      for (const [k, v] of Object.entries(c)) {
        const path = ["components", k];
        if (!(COMPONENT_KEYS as readonly string[]).includes(k)) bad(`components.${k}`, path, `unknown key; expected one of: ${COMPONENT_KEYS.join(", ")}`);
        else if (k === "insecure-http") {
          if (typeof v === "boolean") out.insecureHttp = v;
          else bad(`components.${k}`, path, `expected true or false, found ${typeName(v)}`);
        } else if (typeof v !== "string") bad(`components.${k}`, path, `expected a string, found ${typeName(v)}`);
        else {
          try {
            out[k as "version" | "from" | "sha256"] = k === "version" ? normalizeVersion(v) : k === "sha256" ? checkHex(v) : v;
          } catch (e) {
            bad(`components.${k}`, path, (e as Error).message);
          }
        }
      }
      state.components = out;
    }
  }

  // the whole: combinations that cannot work
  if (state.containerd?.installed === false && state.addons?.length) bad("addons", ["addons"], "add-ons need containerd, but containerd.installed is false");
  if (state.snapshotter && ADDON_SNAPSHOTTERS.includes(state.snapshotter) && state.addons && !state.addons.some((a) => a.id === state.snapshotter)) {
    bad("snapshotter", ["snapshotter"], `"${state.snapshotter}" is served by the ${state.snapshotter} add-on; add it to addons`);
  }
  if (problems.length) throw new DesiredStateError(file, problems);
  return { state, format, file, position: at };
}

/** Reads and checks `apply -f FILE` (`-`: stdin); a path that cannot be read is a UserError naming why. */
export async function readDesiredState(host: Host, file: string): Promise<ParsedDesiredState> {
  let text: string | null;
  try {
    text = file === "-" ? await host.readStdin() : await host.readText(file);
  } catch (e) {
    if (!(e instanceof HostError)) throw e;
    const why = e.code === "EISDIR" ? "is a directory, not a desired-state file" : e.code === "EACCES" ? "cannot be read (permission denied)" : `cannot be read: ${e.message}`;
    throw new UserError(`${file} ${why}`, "Name a readable .toml, .yaml or .json file, or `-` for stdin.");
  }
  if (text === null) throw new UserError(`${file}: no such file`, "Check the path (examples/ in the repository has sample files).");
  return parseDesiredState(text, file === "-" ? "(stdin)" : file);
}

function listAddonIds(): string[] {
  return plugins().filter((p) => p.runs !== "none").map((p) => p.id);
}
