// The client's default snapshotter: `snapshotter = "NAME"` in ~/.config/nerdctl/nerdctl.toml,
// as the smallest edit of the user's file. Our value carries a trailing marker comment so that
// removal can tell it is still ours and restore what was there:
//   snapshotter = "stargz" # set by containerd-rootless-systemd
//   snapshotter = "stargz" # set by containerd-rootless-systemd (was "native")
// A value the user changed afterwards (marker gone) is left alone on removal.
import { UserError } from "../os/errors.ts";
import { insertLine, parseTomlChecked, removeLine, scanTopLevel, tomlString, topLevelInsertionPoint } from "./toml-text.ts";

export const NERDCTL_MARKER = "# set by containerd-rootless-systemd";
const MARKER_RE = / # set by containerd-rootless-systemd(?: \(was ((?:"(?:[^"\\]|\\.)*")|(?:'[^']*')|[^)]*)\))?$/;

function snapshotterEntry(text: string) {
  return scanTopLevel(text).entries.find((e) => e.key === "snapshotter");
}

/** The line holding the entry, without its line break. */
function entryLine(text: string, entry: { lineStart: number; lineEnd: number }) {
  const raw = text.slice(entry.lineStart, entry.lineEnd);
  const body = raw.replace(/\r?\n$/, "");
  return { body, eol: raw.slice(body.length) };
}

/** The snapshotter nerdctl uses by default per this file, and whether we set it. */
export function currentSnapshotter(text: string | null, file = "nerdctl.toml"): { value?: string; ours: boolean } {
  if (text === null) return { ours: false };
  const value = parseTomlChecked(text, file).snapshotter;
  const entry = snapshotterEntry(text);
  const ours = entry ? MARKER_RE.test(entryLine(text, entry).body) : false;
  return { value: typeof value === "string" ? value : undefined, ours };
}

/** nerdctl.toml with `snapshotter = name` (null text = the file does not exist). */
export function setSnapshotter(text: string | null, name: string, file = "nerdctl.toml"): string {
  const line = `snapshotter = ${tomlString(name)} ${NERDCTL_MARKER}`;
  if (text === null || text === "") return line + "\n";
  const parsed = parseTomlChecked(text, file);
  if (parsed.snapshotter !== undefined && typeof parsed.snapshotter !== "string") {
    throw new UserError(`${file}: "snapshotter" is not a string`, `Fix it (e.g. snapshotter = "overlayfs"), then run this again.`);
  }
  const entry = snapshotterEntry(text);
  if (!entry) return insertLine(text, topLevelInsertionPoint(text, scanTopLevel(text)), line);
  const { body, eol } = entryLine(text, entry);
  const m = MARKER_RE.exec(body);
  const valueRaw = text.slice(entry.valueStart, entry.valueEnd);
  if (parsed.snapshotter === name) return text; // already the default, ours or the user's
  const marker = m ? m[0] : ` ${NERDCTL_MARKER} (was ${valueRaw})`;
  const head = text.slice(entry.lineStart, entry.valueStart);
  const tail = body.slice(entry.valueEnd - entry.lineStart, m ? m.index : undefined);
  return text.slice(0, entry.lineStart) + head + tomlString(name) + tail + marker + eol + text.slice(entry.lineEnd);
}

/**
 * nerdctl.toml without our `snapshotter = name`: the user's previous value comes back, or the
 * line goes. `replacement` (another snapshotter add-on still installed) takes over instead.
 * Returns null when the file should be deleted (nothing but our line was in it), and the text
 * unchanged when the value is not ours or is not `name`.
 */
export function unsetSnapshotter(text: string | null, name: string, replacement?: string, file = "nerdctl.toml"): string | null {
  if (text === null) return null;
  const { value, ours } = currentSnapshotter(text, file);
  if (!ours || value !== name) return text;
  if (replacement) return setSnapshotter(text, replacement, file);
  const entry = snapshotterEntry(text)!;
  const { body, eol } = entryLine(text, entry);
  const m = MARKER_RE.exec(body)!;
  if (m[1] !== undefined) {
    const head = text.slice(entry.lineStart, entry.valueStart);
    const tail = body.slice(entry.valueEnd - entry.lineStart, m.index);
    return text.slice(0, entry.lineStart) + head + m[1] + tail + eol + text.slice(entry.lineEnd);
  }
  const out = removeLine(text, entry.lineStart);
  return out === "" ? null : out;
}

/** The environment alternative to the config file, for the user's shell profile. */
export function snapshotterExport(name: string): string {
  return `export CONTAINERD_SNAPSHOTTER=${name}`;
}
