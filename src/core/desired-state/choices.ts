// The interactive installer's choices as a desired-state document, checked by the same code as
// an `apply -f` file (checkDesiredDocument): what the UI ticks and types is refused, decided and
// planned exactly as the same keys in a file would be.
//
// An add-on that is a RootlessKit setting (detach-netns: `runs: "none"`) is not an add-on to the
// file (the parser refuses it and names the setting of the same name): its tick becomes that
// setting, and only when the tick differs from what is in effect. So one that is "installed" because it is in
// effect by default (RootlessKit >= 2.0 with `auto`) and stays ticked changes nothing, and a
// change of another setting plans only that change.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { SETTINGS, type SettingKey } from "../rootlesskit/settings.ts";
import { plugins } from "../../plugins/registry.ts";
import { checkDesiredDocument, settingFileKey, type ParsedDesiredState } from "./parse.ts";

/** What the installer's screens chose: add-on ids, their options, and the settings by key (the form's text). */
export interface InstallerChoices {
  addons: string[];
  addonOptions: Record<string, Record<string, string>>;
  settings: Readonly<Record<string, string | undefined>>;
}

export const CHOICES_FILE = "your choices";

/** The settings as a file writes them: file keys, the MTU a number (the form's text otherwise, which the checks then refuse). */
function settingsTable(settings: InstallerChoices["settings"]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined || value === "") continue;
    const known = SETTINGS.some((s) => s.key === key);
    const fileKey = known ? settingFileKey(key as SettingKey) : key;
    out[fileKey] = key === "mtu" && /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** The desired state for the choices (containerd installed), checked as a file's; DesiredStateError names what is wrong. */
export async function choicesDesiredState(host: Host, paths: Paths, choices: InstallerChoices): Promise<ParsedDesiredState> {
  const settings = settingsTable(choices.settings);
  const addons: unknown[] = [];
  for (const id of choices.addons) {
    if (plugins().find((p) => p.id === id)?.runs === "none") continue;
    const options = choices.addonOptions[id] ?? {};
    addons.push(Object.keys(options).length ? { name: id, ...options } : id);
  }
  for (const p of plugins().filter((x) => x.runs === "none")) {
    // a tick that differs from what is in effect is a request, and wins over the form's value; otherwise the form decides
    const ticked = choices.addons.includes(p.id);
    const inEffect = (await p.status({ host, paths }).catch(() => ({ installed: false }))).installed;
    if (ticked !== inEffect) settings[p.id] = String(ticked);
  }
  return checkDesiredDocument({ containerd: { installed: true }, settings, addons }, CHOICES_FILE, "toml", () => undefined);
}
