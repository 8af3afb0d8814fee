// Why did the service not come up? `systemctl --user status`, the journal tail (empty when
// journald is absent, as on the test machines), and, when the journal has nothing, the
// launcher's own stderr from running the unit's ExecStart once in the foreground, with the
// environment systemd gives the service (serviceEnvironment: the manager's, the unit's and the
// drop-ins' Environment=, EnvironmentFile=) and nothing of ours, so a bad setting in
// override.conf fails by hand as it did under systemd.
import type { Host } from "../os/host.ts";
import { shellLine } from "../os/shell.ts";
import { systemctl, unitDiagnostics } from "./units.ts";

export interface LaunchCommand {
  argv: string[];
  /** the whole environment of the service (environmentValues(serviceEnvironment(...))) */
  env: Record<string, string>;
}

const tail = (text: string, n: number) => text.trim().split("\n").slice(-n).join("\n");
const indent = (text: string) => text.split("\n").map((l) => `    ${l}`).join("\n");

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
  const r = await host.run(launch.argv, { env: launch.env, cleanEnv: true, timeoutMs: 5000 });
  const out = tail([r.stdout, r.stderr].filter((s) => s.trim()).join("\n"), 25);
  parts.push(`the launcher run once by hand (${shellLine(launch.argv)}) exited with ${r.code === 124 ? "no error within 5 s" : `code ${r.code}`}:`, indent(out || "(no output)"));
  return parts.join("\n");
}
