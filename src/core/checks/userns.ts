// Running inside a user namespace already (an LXD or Incus container, a CI runner, rootless
// Docker): /proc/self/uid_map is not the whole range `0 0 4294967295`. newuidmap can only hand
// out ids that this namespace maps, so the user's /etc/subuid and /etc/subgid ranges must lie
// inside the mapped ones; otherwise RootlessKit fails to create its namespace.
import type { Finding } from "./findings.ts";
import { readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import { parseSubids } from "./subid.ts";

export interface IdMapping {
  inside: number;
  outside: number;
  count: number;
}

export function parseIdMap(text: string): IdMapping[] {
  return text
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isSafeInteger))
    .map(([inside, outside, count]) => ({ inside: inside!, outside: outside!, count: count! }));
}

export const isFullRange = (map: IdMapping[]) => map.length === 1 && map[0]!.inside === 0 && map[0]!.outside === 0 && map[0]!.count === 4294967295;

/** The parts of [start, start+count) that no mapping covers. */
function uncovered(map: IdMapping[], start: number, count: number): number {
  let left = 0;
  for (let id = start; id < start + count; ) {
    const m = map.find((x) => id >= x.inside && id < x.inside + x.count);
    if (m) id = m.inside + m.count;
    else {
      const next = Math.min(start + count, ...map.filter((x) => x.inside > id).map((x) => x.inside));
      left += next - id;
      id = next;
    }
  }
  return left;
}

async function kind(ctx: CheckContext, which: "uid" | "gid"): Promise<{ map: IdMapping[]; bad: string[] } | null> {
  const [m, sub] = await Promise.all([readSafe(ctx, `/proc/self/${which}_map`), readSafe(ctx, `/etc/sub${which}`)]);
  if (m.text === null) return null;
  const map = parseIdMap(m.text);
  if (map.length === 0 || isFullRange(map)) return null;
  const mine = parseSubids(sub.text ?? "").ranges.filter((r) => r.owner === ctx.user || r.owner === String(ctx.uid));
  const bad = mine.filter((r) => uncovered(map, r.start, r.count) > 0).map((r) => `${r.owner}:${r.start}:${r.count} (/etc/sub${which} line ${r.line})`);
  return { map, bad };
}

export async function probeUserns(ctx: CheckContext): Promise<ProbeResult> {
  const [uid, gid] = await Promise.all([kind(ctx, "uid"), kind(ctx, "gid")]);
  if (!uid && !gid) return { findings: [] };
  const maps = [uid && `uid_map ${uid.map.map((m) => `${m.inside} ${m.outside} ${m.count}`).join(", ")}`, gid && `gid_map ${gid.map.map((m) => `${m.inside} ${m.outside} ${m.count}`).join(", ")}`].filter(Boolean).join("; ");
  const bad = [...(uid?.bad ?? []), ...(gid?.bad ?? [])];
  const finding: Finding = bad.length
    ? {
        id: "userns.nested",
        level: "warning",
        message: `This runs inside a user namespace already (${maps}: an LXD/Incus container, a CI runner or rootless Docker), and your subordinate ids lie outside the ids it maps: ${bad.join(", ")}. newuidmap cannot map them, so RootlessKit cannot create its namespace.`,
        fix: "Give the container more ids (LXD/Incus: `security.idmap.size` of at least 65536 + your uid, or a `raw.idmap`; Docker/Podman: a larger --userns/--uidmap range), or, inside it, move your /etc/subuid and /etc/subgid ranges into the mapped ids.",
      }
    : { id: "userns.nested", level: "info", message: `This runs inside a user namespace already (${maps}); your subordinate ids are among the mapped ones, so nested rootless containers can work.` };
  return { findings: [finding] };
}
