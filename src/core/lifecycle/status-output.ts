// The human form of `status`: a short table a person reads top to bottom — the service,
// containerd, RootlessKit as it runs, linger, snapshotters, then every add-on.
import type { Reporter } from "../plan/reporter.ts";
import type { StatusReport, UnitReport } from "./status.ts";
import { CONTAINERD_UNIT } from "../os/paths.ts";
import { shellQuote as shq } from "../os/shell.ts";

const KEY_WIDTH = 20;

export function unitLine(u: UnitReport): string {
  if (!u.installed) return "not installed";
  const parts = [u.state, u.enabled ? "enabled" : "disabled"];
  if (u.pid) parts.push(`pid ${u.pid}`);
  if (u.since) parts.push(`since ${u.since}`);
  return `${parts.join(", ")}${u.ours ? "" : " (not created by this tool)"}`;
}

/** net, MTU, port driver and detach-netns as the running RootlessKit has them. */
export function rootlesskitLine(r: StatusReport["rootlesskit"]): string {
  const head = `${r.version ?? "not found"}, state dir ${r.stateDir}`;
  const f = r.flags;
  if (!f) return head;
  const s = r.settings ?? {};
  const net = [f.net ?? s["networkDriver.driver"], f.mtu && `MTU ${f.mtu}`].filter(Boolean).join(" ");
  const parts = [`network ${net}`, `port driver ${f["port-driver"] ?? s["portDriver.driver"] ?? "?"}`, `detach-netns ${f["detach-netns"] === "true" ? "on" : "off"}`];
  if (s["networkDriver.childIP"]) parts.push(`child IP ${s["networkDriver.childIP"]}`);
  return `${head}\n${" ".repeat(KEY_WIDTH)}${parts.join(", ")}`;
}

export function printStatus(reporter: Reporter, r: StatusReport, user = ""): void {
  const rows: [string, string][] = [];
  const c = r.units.find((u) => u.name === CONTAINERD_UNIT)!;
  rows.push([CONTAINERD_UNIT, unitLine(c)]);
  rows.push(["containerd", `${r.containerd.client ?? "not found"}${r.containerd.server ? `; server ${r.containerd.server} answering` : c.active ? "; server not answering" : ""}`]);
  rows.push(["socket", `${r.containerd.socket}${r.containerd.socketExists ? "" : " (absent)"}`]);
  rows.push(["RootlessKit", rootlesskitLine(r.rootlesskit)]);
  rows.push(["linger", r.linger ? "on: containerd starts at boot" : `off: containerd starts when you log in (sudo loginctl enable-linger ${user ? shq(user) : "$USER"})`]);
  const proxy = r.snapshotters.proxy.map((p) => p.name);
  rows.push(["snapshotters", `${[...r.snapshotters.builtin, ...proxy].join(", ")}; default ${r.snapshotters.default}`]);
  const lines = rows.map(([k, v]) => `${k.padEnd(KEY_WIDTH)}${v}`);
  lines.push("", "add-ons");
  for (const a of r.addons) {
    const state = a.installed ? `installed${a.active === undefined ? "" : a.active ? ", active" : ", inactive"}` : "not installed";
    lines.push(`  ${a.id.padEnd(KEY_WIDTH - 2)}${state}${a.installed && a.detail ? ` (${a.detail})` : ""}`);
  }
  reporter.plain(lines.join("\n"));
  for (const u of r.units) if (u.failure) reporter.warn(`${u.failure.reason}.\nFix: ${u.failure.fix}.`);
  if (c.installed && !c.active && !c.failure) reporter.warn(`containerd is not running; start it with \`systemctl --user start ${CONTAINERD_UNIT}\``);
  if (!c.installed) reporter.info("containerd is not installed; run `containerd-rootless-systemd install`.");
}
