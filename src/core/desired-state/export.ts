// `status --export`: the current setup as a desired-state file (TOML, YAML or JSON) that
// `apply -f` accepts and that converges to what is here now: containerd installed or not,
// the settings containerd.service's drop-ins set (defaults left out), the add-ons whose files
// are present (BuildKit with its worker read back from its unit), and nerdctl's default snapshotter.
import { stringifyJSON, stringifyTOML, stringifyYAML } from "confbox";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { BINARY_NAME, CONTAINERD_UNIT, unitPath } from "../os/paths.ts";
import { unitSettings } from "../systemd/service-environment.ts";
import type { SettingKey } from "../rootlesskit/settings.ts";
import { presentAddons } from "./plan.ts";
import { getPlugin } from "../../plugins/registry.ts";
import { currentSnapshotter } from "../containerd/nerdctl-config.ts";
import { settingFileKey, type DesiredFormat } from "./parse.ts";
import { UsageError } from "../os/errors.ts";
import { activeVersion, readMeta } from "../components/store.ts";
import { bundleArch, releaseUrl } from "../components/release.ts";

export const EXPORT_FORMATS: readonly DesiredFormat[] = ["toml", "yaml", "json"];

type AddonEntry = string | ({ name: string } & Record<string, string>);

export interface ExportDocument {
  containerd: { installed: boolean };
  settings: Record<string, string | number | boolean>;
  addons: AddonEntry[];
  snapshotter: string;
  /** the active nerdctl-full bundle, pinned by its SHA-256 (absent when none is active) */
  components?: { version: string; sha256: string; from?: string };
}

/** A setting's text as the file writes it: MTU a number, true/false booleans, the rest strings. */
function fileValue(key: string, value: string): string | number | boolean {
  if (key === "mtu" && /^\d+$/.test(value)) return Number(value);
  if (["detach-netns", "slirp4netns-sandbox", "slirp4netns-seccomp"].includes(key)) {
    // "1"/"0" stay as written, so that applying the export leaves the drop-in's text as it is
    if (value === "true") return true;
    if (value === "false") return false;
  }
  return value;
}

export async function currentDesiredState(host: Host, paths: Paths): Promise<ExportDocument> {
  const installed = (await host.readText(unitPath(paths, CONTAINERD_UNIT))) !== null;
  const settings: ExportDocument["settings"] = {};
  for (const [key, value] of Object.entries(await unitSettings(host, paths)) as [SettingKey, string][]) {
    if (value !== "" || key === "flags") settings[settingFileKey(key)] = fileValue(settingFileKey(key), value);
  }
  const addons: AddonEntry[] = [];
  for (const id of await presentAddons(host, paths)) {
    const options = (await getPlugin(id)?.currentOptions?.({ host, paths })) ?? {};
    addons.push(Object.keys(options).length ? { name: id, ...options } : id);
  }
  const nerdctl = await host.readText(paths.nerdctlConfig).catch(() => null);
  let snapshotter = "overlayfs";
  try {
    snapshotter = currentSnapshotter(nerdctl, paths.nerdctlConfig).value ?? "overlayfs";
  } catch {
    /* an unreadable nerdctl.toml: nerdctl itself would fail; export the default */
  }
  const active = await activeVersion(host, paths);
  const meta = active ? await readMeta(host, paths, active) : null;
  const components = meta ? { version: meta.version, sha256: meta.sha256, ...(meta.source !== releaseUrl(meta.version, bundleArch(host.arch)) ? { from: meta.source } : {}) } : undefined;
  return { containerd: { installed }, settings, addons, snapshotter, ...(components ? { components } : {}) };
}

/** The document as text in `format`; TOML and YAML start with a comment saying how to use it. */
export function renderDesiredState(doc: ExportDocument, format: DesiredFormat): string {
  const header = `# The setup of rootless containerd, written by \`${BINARY_NAME} status --export\`.\n# Apply it on any machine with: ${BINARY_NAME} apply -f FILE --yes\n`;
  // TOML cannot mix strings and tables in one array as confbox writes it: use tables throughout then
  const addons = doc.addons.some((a) => typeof a !== "string") ? doc.addons.map((a) => (typeof a === "string" ? { name: a } : a)) : doc.addons;
  const ordered = { containerd: doc.containerd, settings: doc.settings, addons, snapshotter: doc.snapshotter, ...(doc.components ? { components: doc.components } : {}) };
  switch (format) {
    case "json":
      return stringifyJSON(ordered, { indent: 2 }) + "\n";
    case "yaml":
      return header + stringifyYAML(ordered);
    case "toml":
      return header + "\n" + stringifyTOML(ordered).replace(/\n*$/, "\n");
  }
}

export function exportFormat(value: string | undefined): DesiredFormat {
  const f = (value ?? "toml").toLowerCase().replace(/^yml$/, "yaml");
  if (!(EXPORT_FORMATS as string[]).includes(f)) throw new UsageError(`--format ${value}: expected toml, yaml or json`);
  return f as DesiredFormat;
}

export async function exportDesiredState(host: Host, paths: Paths, format: DesiredFormat): Promise<string> {
  return renderDesiredState(await currentDesiredState(host, paths), format);
}
