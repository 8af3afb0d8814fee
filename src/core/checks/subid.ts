// /etc/subuid and /etc/subgid: the user (by name or uid) needs a range of at least 65536
// subordinate ids. Malformed lines and ranges shared between users are reported; when
// `getsubids` exists it is asked too (it also sees ranges from NSS, e.g. sssd).
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { shellQuote } from "../os/shell.ts";

/** Always single-quoted: the line is pasted into a root shell, whatever the user name holds. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
import { findTool, readSafe, type CheckContext, type ProbeResult } from "./context.ts";

export const MIN_SUBIDS = 65536;
/** systemd-homed users (uids 60001-60513) need subordinate ranges at or above this. */
export const HOMED_MIN_START = 524288;
const isHomedUid = (uid: number) => uid >= 60001 && uid <= 60513;

export interface SubidRange {
  owner: string;
  start: number;
  count: number;
  line: number;
}

export interface ParsedSubids {
  ranges: SubidRange[];
  malformed: { line: number; text: string }[];
}

export function parseSubids(text: string): ParsedSubids {
  const ranges: SubidRange[] = [];
  const malformed: { line: number; text: string }[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^([^:\s]+):(\d+):(\d+)$/.exec(line);
    const start = m ? Number(m[2]) : NaN;
    const count = m ? Number(m[3]) : NaN;
    if (!m || !Number.isSafeInteger(start) || !Number.isSafeInteger(count) || count === 0) malformed.push({ line: i + 1, text: raw.slice(0, 80) });
    else ranges.push({ owner: m[1]!, start, count, line: i + 1 });
  });
  return { ranges, malformed };
}

/** Pairs of ranges of different owners that share ids. */
export function overlaps(ranges: SubidRange[]): [SubidRange, SubidRange][] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: [SubidRange, SubidRange][] = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length && sorted[j]!.start < sorted[i]!.start + sorted[i]!.count; j++) {
      if (sorted[i]!.owner !== sorted[j]!.owner) out.push([sorted[i]!, sorted[j]!]);
    }
  }
  return out;
}

/** The first 65536-aligned start at or above `from` (100000 unless aligned) that no existing range touches. */
export function freeStart(ranges: SubidRange[], from = 100000): number {
  let start = from;
  for (;;) {
    const clash = ranges.find((r) => r.start < start + MIN_SUBIDS && start < r.start + r.count);
    if (!clash) return start;
    start = Math.ceil((clash.start + clash.count) / MIN_SUBIDS) * MIN_SUBIDS;
  }
}

/** `getsubids [-g] USER` prints lines like "0: alice 100000 65536". */
export function parseGetsubids(out: string): { start: number; count: number }[] {
  const res: { start: number; count: number }[] = [];
  for (const line of out.split("\n")) {
    const m = /^\s*\d+:\s*\S+\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m) res.push({ start: Number(m[1]), count: Number(m[2]) });
  }
  return res;
}

async function probeFile(ctx: CheckContext, kind: "uid" | "gid", getsubids: string | null): Promise<Finding[]> {
  const file = `/etc/sub${kind}`;
  const id = `subid.sub${kind}`;
  const mine = (r: { owner: string }) => r.owner === ctx.user || r.owner === String(ctx.uid);
  const [read, nss] = await Promise.all([
    readSafe(ctx, file),
    getsubids ? ctx.host.run(kind === "uid" ? [getsubids, ctx.user] : [getsubids, "-g", ctx.user], { timeoutMs: 5000 }) : null,
  ]);
  const findings: Finding[] = [];
  const parsed = parseSubids(read.text ?? "");
  if (read.error) findings.push({ id: `${id}.unreadable`, level: nss?.code === 0 ? "warning" : "error", message: `${read.error}`, sudoFix: [`chmod 644 ${shellQuote(file)}`] });
  if (parsed.malformed.length) {
    findings.push({
      id: `${id}.malformed`,
      level: "warning",
      message: `${file} has ${parsed.malformed.length} malformed line(s); each line must be NAME_OR_UID:START:COUNT.`,
      detail: parsed.malformed.slice(0, 5).map((m) => `line ${m.line}: ${JSON.stringify(m.text)}`).join("\n"),
    });
  }
  for (const [a, b] of overlaps(parsed.ranges)) {
    if (mine(a) && mine(b)) continue; // the user by name and by uid: one owner
    const involvesMe = mine(a) || mine(b);
    findings.push({
      id: `${id}.overlap`,
      level: involvesMe ? "warning" : "info",
      message: `${file}: the ranges of ${a.owner} (line ${a.line}: ${a.start}+${a.count}) and ${b.owner} (line ${b.line}: ${b.start}+${b.count}) overlap; those users can touch each other's container files.`,
      fix: "Give each user a separate range.",
    });
  }
  const fromFile = parsed.ranges.filter(mine);
  const fromNss = nss?.code === 0 ? parseGetsubids(nss.stdout) : [];
  const ranges = fromNss.length ? fromNss : fromFile;
  const total = ranges.reduce((n, r) => n + r.count, 0);
  const homed = isHomedUid(ctx.uid);
  // A free range is only known when the whole file was read; a missing final newline is added first, or
  // the appended line would run into the last one.
  const addRange: Pick<Finding, "fix" | "sudoFix"> = read.error
    ? { fix: `Once ${file} is readable, run check again for the line to add.` }
    : {
        sudoFix: [
          ...(read.text && !read.text.endsWith("\n") ? [`echo >> ${shellQuote(file)}`] : []),
          `echo ${sq(`${ctx.user}:${freeStart(parsed.ranges, homed ? HOMED_MIN_START : undefined)}:${MIN_SUBIDS}`)} >> ${shellQuote(file)}`,
        ],
      };
  if (ranges.length === 0) {
    findings.push({
      id: `${id}.missing`,
      level: "error",
      message: `${file} has no range for ${ctx.user} (uid ${ctx.uid}); RootlessKit needs at least ${MIN_SUBIDS} subordinate ${kind}s.`,
      ...addRange,
    });
  } else if (total < MIN_SUBIDS) {
    findings.push({
      id: `${id}.too-small`,
      level: "error",
      message: `${ctx.user} has only ${total} subordinate ${kind}s in ${file}; at least ${MIN_SUBIDS} are needed.`,
      ...addRange,
    });
  } else {
    const low = homed ? ranges.filter((r) => r.start < HOMED_MIN_START) : [];
    if (low.length) {
      findings.push({
        id: `${id}.homed-range`,
        level: "warning",
        message: `${ctx.user} is a systemd-homed user (uid ${ctx.uid}): subordinate ${kind}s must be at or above ${HOMED_MIN_START}, but ${low.map((r) => `${r.start}+${r.count}`).join(", ")} ${low.length === 1 ? "is" : "are"} below.`,
        fix: `Replace that range in ${file} with one at or above ${HOMED_MIN_START}.`,
      });
    }
    const where = fromNss.length ? `getsubids${fromFile.length ? "" : " (not in the file)"}` : file;
    findings.push(ok(id, `${ctx.user} has ${total} subordinate ${kind}s (${where})`));
  }
  return findings;
}

/**
 * libsubid (behind getsubids) asks NSS only when /etc/nsswitch.conf has a `subid:` line; without
 * one it reads the same /etc/subuid and /etc/subgid this probe reads, so there is nothing to run.
 */
async function nssNamesSubid(ctx: CheckContext): Promise<boolean> {
  const text = (await readSafe(ctx, "/etc/nsswitch.conf")).text ?? "";
  return /^\s*subid\s*:\s*\S/m.test(text);
}

export async function probeSubids(ctx: CheckContext): Promise<ProbeResult> {
  const getsubids = (await nssNamesSubid(ctx)) ? await findTool(ctx, "getsubids") : null;
  const [uids, gids] = await Promise.all([probeFile(ctx, "uid", getsubids), probeFile(ctx, "gid", getsubids)]);
  return { findings: [...uids, ...gids] };
}
