// Registering a snapshotter add-on with containerd, done for the user: its drop-in in conf.d,
// the imports glob in config.toml (smallest edit, backed up, written atomically), validated by
// parsing and by the real `containerd --config FILE config dump` before anything is written;
// the client default in nerdctl.toml; then containerd is restarted. Removal is the inverse:
// removing the last drop-in takes the imports entry out, giving back the user's exact bytes.
import { dirname, join } from "node:path";
import { HostError, type Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { BINARY_NAME, backupPath, validationTag } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import { escapeRegExp } from "../os/text.ts";
import type { Step } from "../plan/steps.ts";
import { addImport, checkProxyConflict, isCreatedConfig, dropInPath, hasOwnImportsLine, importGlob, importGlobOf, importWarnings, proxyPluginDropIn, removeImport, replaceImport } from "./config.ts";
import { configRules, declaredVersion, installedContainerd, requireDropInVersion, requireReadableVersion } from "./rules.ts";
import { currentSnapshotter, setSnapshotter, snapshotterExport, unsetSnapshotter } from "./nerdctl-config.ts";
import { parseTomlChecked } from "./toml-text.ts";

export interface ProxyPlugin {
  name: string;
  address: string;
  type?: string;
  /** a snapshotter: make it nerdctl's default (plugins/kit/snapshotter.ts's becomesDefault) */
  makeDefault?: boolean;
}

export interface RegistrationPlan {
  steps: Step[];
  warnings: string[];
  notes: string[];
  /** directories to remove after applying, when they are left empty */
  emptyDirs?: string[];
}

/**
 * The record that this tool (not the user) put the conf.d glob into config.toml's `imports`.
 * Needed when the glob was appended to the user's own array (no marker comment fits there):
 * removing the last drop-in takes out only an entry this tool added.
 */
export function importsRecordPath(paths: Paths): string {
  return join(paths.stateDir, "containerd-imports-added");
}

/**
 * A user config file as this tool edits it: `file` is the path to write (for a symbolic link,
 * e.g. dotfiles managed by stow, its target, so the link stays a link) and `text` its content
 * (null when missing). A dangling link, a directory, an unreadable file or a directory where the
 * file cannot be replaced atomically is refused before anything changes.
 */
export async function userConfigFile(host: Host, path: string): Promise<{ file: string; text: string | null; via?: string }> {
  const unchanged = "then run this again. Nothing was changed.";
  try {
    let file = path;
    let via: string | undefined;
    if ((await host.stat(path))?.isSymlink) {
      const real = await host.realpath(path);
      if (!real) throw new UserError(`${path} is a symbolic link to a file that does not exist`, `Create the file it points to (or remove the link), ${unchanged}`);
      [file, via] = [real, path];
    }
    const st = await host.stat(file);
    if (st && !st.isFile) throw new UserError(`${file} is not a regular file`, `Move it aside, ${unchanged}`);
    const text = await host.readText(file);
    const dir = dirname(file);
    if ((await host.exists(dir)) && !(await host.canAccess(dir, "w"))) {
      throw new UserError(`cannot edit ${file}: its directory ${dir} is not writable (the file is replaced atomically)`, `Make ${dir} writable for you (chmod u+w ${dir}), ${unchanged}`);
    }
    return { file, text, via };
  } catch (e) {
    if (e instanceof HostError) throw new UserError(e.message, `Make ${e.path} readable for you (e.g. chmod u+r ${e.path}), ${unchanged}`);
    throw e;
  }
}

const linkNote = (f: { file: string; via?: string }) => (f.via ? [`${f.via} is a symbolic link: its target ${f.file} is edited (the link is kept).`] : []);

/** What the imports record says: this tool added `glob` to config.toml, and whether it created the file. */
const CREATED_MARK = "created";

/**
 * Rootless containerd sees ~/.config/containerd as /etc/containerd (a bind mount in its
 * namespace), so a relative link that leaves that directory (what stow makes) dangles there
 * and containerd silently runs without the file: refused, with the absolute link as the fix.
 */
async function refuseLinkOutsideMount(host: Host, paths: Paths, target: string): Promise<void> {
  const link = await host.readlink(paths.containerdConfig);
  if (!link || link.startsWith("/") || join(paths.containerdConfigDir, link).startsWith(`${paths.containerdConfigDir}/`)) return;
  throw new UserError(
    `${paths.containerdConfig} is a relative symbolic link (${link}) out of ${paths.containerdConfigDir}; rootless containerd sees that directory as /etc/containerd, where the link does not resolve, so containerd ignores the file (and the add-on's registration)`,
    `Make it an absolute link: ln -sfn ${target} ${paths.containerdConfig}, then run this again. Nothing was changed.`,
  );
}

/** The drop-ins in conf.d (name without .toml -> text). */
async function currentDropIns(host: Host, paths: Paths): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of (await host.readdir(paths.containerdConfD)) ?? []) {
    if (!f.endsWith(".toml") || f.startsWith(".")) continue;
    const text = await host.readText(join(paths.containerdConfD, f));
    if (text !== null) out.set(f.slice(0, -5), text);
  }
  return out;
}

/**
 * Runs the real `containerd --config FILE config dump` on the planned config (a copy next to
 * the real one, importing a copy of the planned conf.d) and checks every expected proxy plugin
 * is there. Skipped when containerd is not installed. Nothing of the user's is touched.
 */
export async function validateWithContainerd(host: Host, paths: Paths, configText: string, dropIns: Map<string, string>, expect: string[]): Promise<void> {
  const containerd = await host.which("containerd");
  if (!containerd) return;
  const tag = validationTag(host.pid);
  const dir = join(paths.containerdConfigDir, `${tag}.d`);
  const file = join(paths.containerdConfigDir, `${tag}.toml`);
  const glob = importGlob(paths);
  const created: string[] = []; // directories this check creates, deepest first
  for (let d = paths.containerdConfigDir; d !== "/" && !(await host.exists(d)); d = dirname(d)) created.push(d);
  try {
    for (const [name, text] of dropIns) await host.writeFileAtomic(join(dir, `${name}.toml`), text, 0o600);
    await host.mkdirp(dir, 0o700);
    // the user's own spelling of the glob (any quoting) points at the planned copy instead
    await host.writeFileAtomic(file, replaceImport(configText, glob, importGlobOf(dir)), 0o600);
    const r = await host.run([containerd, "--config", host.path(file), "config", "dump"], { timeoutMs: 20_000 });
    const where = r.stderr.trim().split("\n").filter((l) => !/level=(info|warning)/.test(l)).join("\n").replaceAll(dir, paths.containerdConfD).replaceAll(host.path(file), paths.containerdConfig);
    if (r.code !== 0) throw new UserError(`containerd refuses the planned configuration: ${where || `exit code ${r.code}`}`, `Fix the file it names, then run this again. Nothing was changed.`);
    for (const name of expect) {
      const esc = escapeRegExp(name);
      if (!new RegExp(`^\\s*\\[proxy_plugins\\.(?:"${esc}"|${esc})\\]`, "m").test(r.stdout)) {
        throw new UserError(`containerd does not see the ${name} proxy plugin in the planned configuration (checked with \`containerd config dump\`)`, `Check ${paths.containerdConfig} and its imports. Nothing was changed.`);
      }
    }
  } finally {
    await host.remove(dir, { recursive: true }).catch(() => {});
    await host.remove(file).catch(() => {});
    for (const d of created) await host.removeEmptyDir(d);
  }
}

/** Register `plugin` with containerd and, with `makeDefault`, make it nerdctl's default snapshotter. */
export async function registerProxyPlugin(host: Host, paths: Paths, plugin: ProxyPlugin): Promise<RegistrationPlan> {
  const cfg = await userConfigFile(host, paths.containerdConfig);
  const { file, text: config } = cfg;
  if (cfg.via) await refuseLinkOutsideMount(host, paths, file);
  const type = plugin.type ?? "snapshot";
  const glob = importGlob(paths);
  const rules = configRules((await installedContainerd(host)).version);
  const rootVersion = config === null ? rules.createVersion : declaredVersion(parseTomlChecked(config, file));
  if (config !== null) requireReadableVersion(rules, rootVersion, file);
  const warnings = importWarnings(config, file, rules);
  const same = checkProxyConflict(config, file, plugin.name, plugin.address, type);
  if (same === "same") warnings.push(`${file} already registers ${plugin.name} with the same address; it stays there (the add-on's drop-in repeats it).`);
  const planned = addImport(config, glob, file, rules.createVersion);
  const dropIns = await currentDropIns(host, paths);
  for (const [name, text] of dropIns) {
    const at = join(paths.containerdConfD, `${name}.toml`);
    requireDropInVersion(rules, rootVersion, declaredVersion(parseTomlChecked(text, at)), at, file);
  }
  const dropIn = proxyPluginDropIn(plugin.name, plugin.address, type);
  dropIns.set(plugin.name, dropIn);
  parseTomlChecked(planned, file);
  await validateWithContainerd(host, paths, planned, dropIns, [plugin.name]);

  const steps: Step[] = [{ kind: "write", path: dropInPath(paths, plugin.name), content: dropIn, mode: 0o644, why: `registers ${plugin.name} with containerd` }];
  if (planned !== config) {
    steps.push({ kind: "write", path: file, content: planned, mode: 0o644, backupTo: config === null ? undefined : backupPath(paths, file), why: `imports ${glob} (one drop-in per add-on)` });
    steps.push({ kind: "write", path: importsRecordPath(paths), content: `${glob}\n${config === null ? `${CREATED_MARK}\n` : ""}`, mode: 0o644, why: `records that ${BINARY_NAME} added this imports entry to ${file}` });
  }
  const notes = linkNote(cfg);
  if (type === "snapshot" && plugin.makeDefault) {
    const n = await userConfigFile(host, paths.nerdctlConfig);
    const nerdctl = n.text;
    const next = setSnapshotter(nerdctl, plugin.name, n.file);
    if (next !== nerdctl) steps.push({ kind: "write", path: n.file, content: next, mode: 0o644, backupTo: nerdctl === null ? undefined : backupPath(paths, n.file), why: `nerdctl uses ${plugin.name} by default` });
    notes.push(...linkNote(n));
    notes.push(`nerdctl now uses the ${plugin.name} snapshotter by default (${paths.nerdctlConfig}). Other containerd clients: \`${snapshotterExport(plugin.name)}\``);
  } else if (type === "snapshot") {
    notes.push(`The ${plugin.name} snapshotter is registered with containerd: \`nerdctl --snapshotter=${plugin.name}\` uses it (this add-on leaves nerdctl's default snapshotter as it is).`);
  }
  return { steps, warnings, notes };
}

/**
 * The inverse of registerProxyPlugin. `alsoRemoving` are other proxy plugins removed in the same
 * run; `fallbackSnapshotter` is another snapshotter add-on that stays installed (it becomes
 * nerdctl's default when this one was).
 */
export async function unregisterProxyPlugin(host: Host, paths: Paths, name: string, alsoRemoving: string[] = [], fallbackSnapshotter?: string): Promise<RegistrationPlan> {
  const cfg = await userConfigFile(host, paths.containerdConfig);
  const { file, text: config } = cfg;
  const steps: Step[] = [];
  if (await host.exists(dropInPath(paths, name))) steps.push({ kind: "remove", path: dropInPath(paths, name), why: `${name} is no longer registered with containerd` });
  const remaining = [...(await currentDropIns(host, paths)).keys()].filter((n) => n !== name && !alsoRemoving.includes(n));
  const warnings: string[] = [];
  const emptyDirs: string[] = [];
  if (remaining.length === 0) {
    const glob = importGlob(paths);
    const record = importsRecordPath(paths);
    const [recordedGlob, mark] = ((await host.readText(record)) ?? "").split("\n");
    const recorded = recordedGlob === glob;
    // only an entry this tool added goes: our marked line or a recorded append
    if (config !== null && (recorded || hasOwnImportsLine(config, glob))) {
      const next = removeImport(config, glob, file);
      if (recorded && mark === CREATED_MARK && isCreatedConfig(config, glob) && !cfg.via) steps.push({ kind: "remove", path: file, why: "it held only what this tool created" });
      else if (next !== config) steps.push({ kind: "write", path: file, content: next, mode: 0o644, backupTo: backupPath(paths, file), why: "no add-on drop-ins remain" });
    }
    if (await host.exists(record)) steps.push({ kind: "remove", path: record });
    emptyDirs.push(paths.containerdConfD);
  }
  if (config !== null && (parseTomlChecked(config, file).proxy_plugins as Record<string, unknown> | undefined)?.[name]) {
    warnings.push(`${file} itself still registers [proxy_plugins."${name}"]; remove it there if you no longer want it.`);
  }
  const n = await userConfigFile(host, paths.nerdctlConfig);
  const nerdctl = n.text;
  const { value, ours } = currentSnapshotter(nerdctl, n.file);
  if (value === name && ours) {
    const next = unsetSnapshotter(nerdctl, name, fallbackSnapshotter, n.file);
    // a link's target was there before us: emptied, never deleted (the link would dangle)
    if (next === null && !n.via) steps.push({ kind: "remove", path: n.file });
    else steps.push({ kind: "write", path: n.file, content: next ?? "", mode: 0o644, backupTo: backupPath(paths, n.file) });
  } else if (value === name) {
    warnings.push(`${paths.nerdctlConfig} sets snapshotter = "${name}" (not set by this tool; left as is). nerdctl will fail until you change it.`);
  }
  if (nerdctl !== null) emptyDirs.push(dirname(paths.nerdctlConfig));
  return { steps, warnings, notes: [], emptyDirs };
}
