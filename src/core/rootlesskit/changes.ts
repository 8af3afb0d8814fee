// The RootlessKit settings a drop-in change sets or drops, as a step's short note:
// "MTU 1500", "port-driver slirp4netns, MTU default". Read from the Environment= lines of the
// text before and after, so it works for any writer of the drop-in.
import { SETTINGS } from "./settings.ts";

const LINE = /^Environment="?(CONTAINERD_ROOTLESS_ROOTLESSKIT_\w+)=("?)(.*?)\2"?\s*$/;

function values(text: string | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of (text ?? "").split("\n")) {
    const m = LINE.exec(l.trim());
    if (m) out.set(m[1]!, m[3]!);
  }
  return out;
}

const shortName = (env: string): string => {
  const flag = SETTINGS.find((s) => s.env === env)?.flag.replace(/^--/, "") ?? env;
  return flag === "mtu" ? "MTU" : flag;
};

/** "MTU 1500, net slirp4netns"; undefined when no setting changes. */
export function settingChangesNote(before: string | null, after: string | null): string | undefined {
  const a = values(before);
  const b = values(after);
  const parts: string[] = [];
  for (const [env, v] of b) if (a.get(env) !== v) parts.push(`${shortName(env)} ${v}`);
  for (const env of a.keys()) if (!b.has(env)) parts.push(`${shortName(env)} default`);
  return parts.length ? parts.join(", ") : undefined;
}
