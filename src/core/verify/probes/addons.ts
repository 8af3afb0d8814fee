// 7. Each installed add-on does its real job: a snapshotter creates and mounts a snapshot (a
// container of the throwaway image runs on it, its root writable: containerd unpacked the
// image into the snapshotter, which mounted it for runc); a daemon answers a real request in
// its own protocol — what its unit probe asks (plugins' probes(): BuildKit's ListWorkers,
// bypass4netnsd's GET /v1/bypass), or more where the probe knows more (`verify` on AddonProbe).
import { plugins, type Plugin } from "../../../plugins/registry.ts";
import { installedAddons } from "../../lifecycle/addons.ts";
import { fail, pass, type Verdict } from "../outcome.ts";
import { AGENT_DEADLINE_MS, type Session } from "../session.ts";
import type { Probe } from "./probe.ts";
import { whyNoReport } from "./probe.ts";

async function snapshotterVerdict(s: Session, id: string): Promise<Verdict> {
  if (!(await s.imported).ok) return fail(`no container started: ${(await s.imported).detail}`);
  const c = id === s.facts.defaultSnapshotter ? await s.main : await s.startContainer(`snap-${id}`, { rootfs: true, deadlineMs: AGENT_DEADLINE_MS }, { snapshotter: id });
  const r = await c?.part("rootfs");
  if (!c || !r) return fail(`no container started on the ${id} snapshotter: ${(await whyNoReport(s, c)).split("\n")[0]}`, [await whyNoReport(s, c)], `\`systemctl --user status ${plugins().find((p) => p.id === id)?.unit ?? id}\` and \`containerd-rootless-systemd status\` show the snapshotter's state.`);
  if (!r.ok) return fail(`a container on the ${id} snapshotter has no writable root: ${r.detail}`);
  return pass(`the ${id} snapshotter created and mounted a snapshot: a container ran on it${r.fsType ? ` (its / is ${r.fsType})` : ""} and wrote to its root`, [r.detail]);
}

async function daemonVerdict(s: Session, p: Plugin): Promise<Verdict> {
  const probes = (await p.probes?.({ host: s.host, paths: s.paths })) ?? [];
  if (probes.length === 0) return fail(`${p.title} is installed but has no unit to ask`);
  const results = await Promise.all(probes.map(async (u) => ({ u, r: await (u.probe.verify ?? u.probe.check)(s.host) })));
  const evidence = results.map(({ u, r }) => `${u.unit}: ${u.probe.what}: ${r.detail}`);
  const bad = results.filter(({ r }) => !r.ok);
  if (bad.length) return fail(bad.map(({ u, r }) => `${u.unit}: ${r.detail}`).join("; "), evidence, `\`systemctl --user status ${bad[0]!.u.unit}\` shows its state; \`containerd-rootless-systemd install ${p.id} --yes\` puts it back.`);
  return pass(results.map(({ u, r }) => `${u.unit}: ${r.detail}`).join("; "), evidence);
}

/** One probe per installed add-on that runs something (detach-netns is a setting: the network probes verify it). */
export async function addonProbes(s: Session): Promise<Probe[]> {
  const installed = new Set(await installedAddons(s.host, s.paths).catch(() => []));
  return plugins()
    .filter((p) => installed.has(p.id) && p.runs !== "none")
    .map((p) => ({ id: `addon:${p.id}`, title: `${p.title} works`, run: (sess: Session) => (p.snapshotter ? snapshotterVerdict(sess, p.id) : daemonVerdict(sess, p)) }));
}
