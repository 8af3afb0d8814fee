// Why did the service not come up? `systemctl --user status`, the journal tail (empty when
// journald is absent, as on the test machines), and, when the journal has nothing, the
// launcher's own stderr from running the unit's ExecStart once in the foreground, with the
// environment systemd gives the service (the manager's, the unit's PATH, the drop-ins'
// Environment= lines), so a bad setting in override.conf fails by hand as it did under systemd.
import type { Host } from "./host.ts";
import type { Paths } from "./paths.ts";
import { shellLine } from "./plan.ts";
import { systemctl, unitDiagnostics } from "./systemd.ts";
import { dropInEnvironment, readDropIns } from "./rootlesskit-dropin.ts";
import { managerEnvironment } from "./rootlesskit-configure.ts";

export interface LaunchCommand {
  argv: string[];
  /** the unit's PATH */
  path: string;
  /** the whole environment of the service (serviceEnvironment); else the caller's, with `path` */
  env?: Record<string, string>;
}

const tail = (text: string, n: number) => text.trim().split("\n").slice(-n).join("\n");
const indent = (text: string) => text.split("\n").map((l) => `    ${l}`).join("\n");

/** What containerd.service's ExecStart sees: the manager's environment, the unit's PATH, then the drop-ins in order. */
export async function serviceEnvironment(host: Host, paths: Paths, unitPathValue: string): Promise<Record<string, string>> {
  const manager = await managerEnvironment(host);
  const base = Object.keys(manager).length ? manager : Object.fromEntries(Object.entries(host.env).filter((e): e is [string, string] => e[1] !== undefined));
  return Object.assign({ ...base, PATH: unitPathValue }, ...(await readDropIns(host, paths)).map((d) => dropInEnvironment(d.text)));
}

export async function diagnoseStart(host: Host, unit: string, launch?: LaunchCommand): Promise<string> {
  const { status, journal } = await unitDiagnostics(host, unit);
  const parts = [`systemctl --user status ${unit}:`, indent(status || "(no output)")];
  if (journal) {
    parts.push(`journalctl --user -u ${unit} -n 20 --no-pager:`, indent(journal));
    return parts.join("\n");
  }
  parts.push(`journalctl --user -u ${unit}: no entries (is journald running?)`);
  if (!launch) return parts.join("\n");
  // Stop the restart loop first: the launcher takes RootlessKit's state-dir lock.
  await systemctl(host, ["stop", unit], 30_000);
  const r = await host.run(launch.argv, launch.env ? { env: launch.env, cleanEnv: true, timeoutMs: 5000 } : { env: { PATH: launch.path }, timeoutMs: 5000 });
  const out = tail([r.stdout, r.stderr].filter((s) => s.trim()).join("\n"), 25);
  parts.push(`the launcher run once by hand (${shellLine(launch.argv)}) exited with ${r.code === 124 ? "no error within 5 s" : `code ${r.code}`}:`, indent(out || "(no output)"));
  return parts.join("\n");
}
