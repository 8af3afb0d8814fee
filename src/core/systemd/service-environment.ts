// The environment containerd.service gets, built as systemd builds it, and where each variable
// comes from: the user manager's environment (`systemctl --user show-environment`), then the
// unit's and its drop-ins' Environment= lines in order (specifiers expanded), then the files of
// EnvironmentFile=, read when the service starts, whose variables override Environment=.
// The one place that answers "what does the service see" and "what sets X for the service":
// the readiness wait, status, nsenter, the add-ons, diagnostics and `configure` all ask here.
import type { Host, RunResult } from "../os/host.ts";
import { CONTAINERD_UNIT, unitPath, type Paths } from "../os/paths.ts";
import { busManagerEnvironment } from "./bus-queries.ts";
import { isEnvName } from "./syntax.ts";
import { environmentDirectives, readDropIns, unitSpecifiers, type DropInFile } from "../rootlesskit/dropin.ts";
import { SETTINGS, type RawSettings } from "../rootlesskit/settings.ts";

export type EnvSource = "environment" | "drop-in" | "environment-file";

export interface ServiceVariable {
  value: string;
  /** environment: the manager's; drop-in: an Environment= line (of the unit or a drop-in); environment-file: a file of EnvironmentFile= */
  source: EnvSource;
  /** the unit file or drop-in with the Environment= line, or the environment file */
  file?: string;
  /** for an environment file: the unit file or drop-in whose EnvironmentFile= names it */
  via?: string;
}

export interface ServiceEnvironment {
  vars: Record<string, ServiceVariable>;
  /** what keeps systemd from starting the service (a required environment file that is missing) */
  problems: string[];
}

/** `systemctl --user show-environment`: the manager's environment, inherited by the service. */
export async function managerEnvironment(host: Host, run: Promise<RunResult> = runShowEnvironment(host)): Promise<Record<string, string>> {
  const r = await run;
  return r.code === 0 ? parseShowEnvironment(r.stdout) : {};
}

/**
 * The manager's environment as `systemctl --user show-environment` prints it, asked on the manager's socket
 * (bus-queries.ts), else by that systemctl. One run, for a caller that hands it to several readers (install: its checks and its plan).
 */
export async function runShowEnvironment(host: Host, systemctlPath = "systemctl"): Promise<RunResult> {
  const env = await busManagerEnvironment(host).catch(() => null);
  if (env) return { code: 0, stdout: env.map((e) => `${e}\n`).join(""), stderr: "" };
  return host.run([systemctlPath, "--user", "show-environment"], { timeoutMs: 10_000 });
}

/** The lines `systemctl --user show-environment` prints, as a map. */
export function parseShowEnvironment(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1).replace(/^\$'(.*)'$/, "$1");
  }
  return env;
}

/**
 * An environment file as systemd reads it: `KEY=VALUE` lines, `#`/`;` comment lines, values
 * unquoted (backslash escapes the next character, trailing blanks dropped), 'single-quoted'
 * (literal) or "double-quoted" (backslash escapes " \ ` $ and the line break), a backslash at
 * the end of a line continues it.
 */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && /\s/.test(text[i]!)) i++;
    if (i >= n) break;
    if (text[i] === "#" || text[i] === ";") {
      while (i < n && text[i] !== "\n") i++;
      continue;
    }
    let key = "";
    while (i < n && text[i] !== "=" && text[i] !== "\n") key += text[i++];
    if (text[i] !== "=") continue; // a line without "=" is ignored
    i++;
    while (i < n && (text[i] === " " || text[i] === "\t")) i++;
    let value = "";
    let kept = 0; // value[0, kept) is quoted or escaped: never stripped as trailing blanks
    while (i < n && text[i] !== "\n") {
      const c = text[i]!;
      if (c === "'" || c === '"') {
        for (i++; i < n && text[i] !== c; i++) {
          const escaped = c === '"' && text[i] === "\\" && i + 1 < n && '"\\`$\n'.includes(text[i + 1]!);
          if (escaped) i++;
          if (!(escaped && text[i] === "\n")) value += text[i]; // an escaped line break continues the line
        }
        i++;
        kept = value.length;
      } else if (c === "\\" && i + 1 < n) {
        if (text[i + 1] !== "\n") value += text[i + 1];
        i += 2;
        kept = value.length;
      } else {
        value += c;
        i++;
      }
    }
    key = key.trim();
    if (isEnvName(key)) env[key] = value.slice(0, kept) + value.slice(kept).replace(/[\s]+$/, "");
  }
  return env;
}

export interface ServiceEnvironmentOptions {
  /** the drop-ins to assume instead of those on disk (configure's planned change) */
  dropIns?: DropInFile[];
  /** the manager's environment to assume instead of asking systemd ({} = only the unit's own files) */
  manager?: Record<string, string>;
  /** false: leave out the EnvironmentFile= files (only the Environment= lines) */
  environmentFiles?: boolean;
}

/** What containerd.service's processes get, with the source of each variable. */
export async function serviceEnvironment(host: Host, paths: Paths, opts: ServiceEnvironmentOptions = {}): Promise<ServiceEnvironment> {
  const specifiers = unitSpecifiers(paths);
  const unitFile = unitPath(paths, CONTAINERD_UNIT);
  const [manager, dropIns, unitText] = await Promise.all([opts.manager ?? managerEnvironment(host), opts.dropIns ?? readDropIns(host, paths), host.readText(unitFile).catch(() => null)]);
  const vars: Record<string, ServiceVariable> = {};
  for (const [name, value] of Object.entries(manager)) vars[name] = { value, source: "environment" };

  let assigned: Record<string, ServiceVariable> = {};
  let envFiles: { path: string; via: string }[] = [];
  for (const f of [{ path: unitFile, text: unitText ?? "" }, ...dropIns]) {
    for (const d of environmentDirectives(f.text, specifiers)) {
      if (d.kind === "clear") assigned = {};
      else if (d.kind === "set") assigned[d.name] = { value: d.value, source: "drop-in", file: f.path };
      else if (d.kind === "clear-files") envFiles = [];
      else envFiles.push({ path: d.path, via: f.path });
    }
  }
  Object.assign(vars, assigned);

  const problems: string[] = [];
  for (const e of opts.environmentFiles === false ? [] : envFiles) {
    const optional = e.path.startsWith("-");
    const path = optional ? e.path.slice(1) : e.path;
    if (!path.startsWith("/")) continue; // systemd ignores a relative path (with a warning in its log)
    const text = await host.readText(path).catch(() => null);
    if (text === null) {
      if (!optional) problems.push(`${path} (EnvironmentFile= in ${e.via}) does not exist: systemd will not start ${CONTAINERD_UNIT}`);
      continue;
    }
    for (const [name, value] of Object.entries(parseEnvironmentFile(text))) vars[name] = { value, source: "environment-file", file: path, via: e.via };
  }
  return { vars, problems };
}

/** The variables alone (name -> value), e.g. to run the service's program by hand. */
export function environmentValues(env: ServiceEnvironment): Record<string, string> {
  return Object.fromEntries(Object.entries(env.vars).map(([k, v]) => [k, v.value]));
}

/**
 * Our RootlessKit settings as the Environment= lines of containerd.service's unit and drop-ins
 * set them (specifiers expanded; not the manager's environment, not an EnvironmentFile=): what
 * `apply` manages, so what `status --export` writes and the UI's settings start from.
 */
export async function unitSettings(host: Host, paths: Paths): Promise<RawSettings> {
  const { vars } = await serviceEnvironment(host, paths, { manager: {}, environmentFiles: false });
  const raw: RawSettings = {};
  for (const s of SETTINGS) if (vars[s.env] !== undefined) raw[s.key] = vars[s.env]!.value;
  return raw;
}
