// What the installed containerd accepts in its configuration, by version, taken from containerd's
// own loader (github.com/containerd/containerd):
// - config versions: 1.6/1.7 read up to `version = 2` and refuse 3 ("unsupported config version",
//   services/server/config/config.go ValidateV2 at v1.6.20, v1.7.27); 2.0-2.2 read up to 3 and 2.3
//   up to 4 (version/version.go ConfigVersion at v2.0.0, v2.2.0, v2.3.0); older files are migrated.
// - an imported (drop-in) file whose version is higher than the root config's is an error in 2.3
//   ("drop-in config version %d higher than root config version %d",
//   cmd/containerd/server/config/config.go at v2.3.0; commit 21248d0, reverted after v2.3.4 on main).
// - a relative `imports` entry is resolved against the importing file's directory; a relative
//   GLOB was matched against the working directory (so silently matched nothing, as seen here with
//   1.6.20) until v1.6.29, v1.7.16 and in every 2.x (resolveImports at those tags).
// - `proxy_plugins` of a later file replace an earlier entry of the same name whole (mergeConfig,
//   every version): an add-on's drop-in owns its table entirely.
import type { Host } from "../os/host.ts";
import { UserError } from "../os/errors.ts";
import { parseVersion, atLeast } from "../os/version.ts";
import { findProgram } from "../os/programs.ts";

export interface ConfigRules {
  /** the installed containerd's version (a label and the key to these rules), null when unknown */
  containerd: string | null;
  /** the highest `version = N` it reads */
  maxConfigVersion: number;
  /** what a config.toml this tool creates says */
  createVersion: number;
  /** relative globs in `imports` are resolved against the config file's directory (else: ignored) */
  relativeGlobs: boolean;
  /** an imported file with a higher version than the root config is refused */
  dropInVersionCapped: boolean;
}

/** The rules for a containerd version; unknown (not installed, unreadable) = what every version accepts. */
export function configRules(containerd: string | null): ConfigRules {
  if (!containerd) return { containerd, maxConfigVersion: 2, createVersion: 2, relativeGlobs: false, dropInVersionCapped: true };
  const v2 = atLeast(containerd, "2.0.0");
  const max = atLeast(containerd, "2.3.0") ? 4 : v2 ? 3 : 2;
  const relativeGlobs = v2 || (atLeast(containerd, "1.7.0") ? atLeast(containerd, "1.7.16") : atLeast(containerd, "1.6.29"));
  return { containerd, maxConfigVersion: max, createVersion: max, relativeGlobs, dropInVersionCapped: atLeast(containerd, "2.3.0") };
}

/** `containerd --version` of the containerd on PATH (or in a standard dir). */
export async function installedContainerd(host: Host): Promise<{ path: string | null; version: string | null }> {
  const path = await findProgram(host, "containerd");
  if (!path) return { path, version: null };
  const r = await host.run([path, "--version"], { timeoutMs: 10_000 });
  return { path, version: r.code === 0 ? parseVersion(r.stdout) : null };
}

/** The `version` a parsed config declares (0 when absent, as containerd reads it). */
export function declaredVersion(parsed: Record<string, unknown>): number {
  return typeof parsed.version === "number" ? parsed.version : 0;
}

/** Refuses a root config whose version the installed containerd cannot read, naming both and the fix. */
export function requireReadableVersion(rules: ConfigRules, version: number, file: string): void {
  if (version <= rules.maxConfigVersion) return;
  const who = `containerd ${rules.containerd ?? "(unknown version)"}`;
  const needs = version >= 4 ? "2.3" : "2.0";
  throw new UserError(
    `${file} says \`version = ${version}\`, but the installed ${who} reads configuration versions up to ${rules.maxConfigVersion} (version ${version} is containerd ${needs}'s); containerd would refuse to start with it`,
    `Either install containerd ${needs} or later, or write the file for ${who}: \`version = ${rules.maxConfigVersion}\` with its plugin names (\`containerd config default\` prints them). Nothing was changed.`,
  );
}

/** Refuses an imported file with a higher version than the root config, where containerd (2.3) does. */
export function requireDropInVersion(rules: ConfigRules, rootVersion: number, dropInVersion: number, dropIn: string, root: string): void {
  if (!rules.dropInVersionCapped || dropInVersion <= rootVersion) return;
  throw new UserError(
    `${dropIn} says \`version = ${dropInVersion}\`, higher than ${root}'s ${rootVersion || "(none)"}: containerd ${rules.containerd} refuses an imported file with a higher version than the root config`,
    `Raise \`version\` in ${root} to ${dropInVersion} (\`containerd config migrate\` converts it) or lower it in ${dropIn}. Nothing was changed.`,
  );
}
