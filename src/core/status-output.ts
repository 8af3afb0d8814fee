// The human form of `status`: one line per unit, then versions, settings, socket, linger
// and snapshotters.
import type { Reporter } from "./reporter.ts";
import type { StatusReport, UnitReport } from "./status.ts";
import { CONTAINERD_UNIT } from "./paths.ts";

export function unitLine(u: UnitReport): string {
  if (!u.installed) return `${u.name}: not installed`;
  const parts = [u.enabled ? "enabled" : "disabled", u.state];
  if (u.pid) parts.push(`pid ${u.pid}`);
  if (u.since) parts.push(`since ${u.since}`);
  return `${u.name}: installed${u.ours ? "" : " (not by this tool)"}, ${parts.join(", ")}`;
}

export function printStatus(reporter: Reporter, r: StatusReport): void {
  for (const u of r.units) reporter.info(unitLine(u));
  const c = r.units.find((u) => u.name === CONTAINERD_UNIT);
  if (c?.installed && !c.active) reporter.warn(`containerd is not running; start it with \`systemctl --user start ${CONTAINERD_UNIT}\``);
  reporter.info(`containerd: ${r.containerd.client ?? "not found"} (client)${r.containerd.server ? `, ${r.containerd.server} (server, answering)` : ", server not answering"}`);
  reporter.info(`socket: ${r.containerd.socket}${r.containerd.socketExists ? "" : " (absent)"}`);
  reporter.info(`RootlessKit: ${r.rootlesskit.version ?? "not found"}, state dir ${r.rootlesskit.stateDir}`);
  if (r.rootlesskit.settings) {
    const s = Object.entries(r.rootlesskit.settings).map(([k, v]) => `${k}=${v}`).join(" ");
    reporter.info(`RootlessKit settings in effect (from ${r.rootlesskit.settingsSource}): ${s}`);
  }
  reporter.info(`linger: ${r.linger ? "enabled (containerd starts at boot)" : "disabled (containerd starts when you log in)"}`);
  const proxy = r.snapshotters.proxy.map((p) => `${p.name} (${p.address ?? "no address"})`);
  reporter.info(`snapshotters: ${[...r.snapshotters.builtin, ...proxy].join(", ")}; default ${r.snapshotters.default}`);
  for (const a of r.addons) reporter.info(`add-on ${a.id}: ${a.installed ? "installed" : "not installed"}${a.active === undefined ? "" : a.active ? ", active" : ", inactive"}${a.detail ? ` (${a.detail})` : ""}`);
}
