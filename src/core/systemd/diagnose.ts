// Why did the service not come up? Only what systemd recorded and what can be checked without
// starting anything: `systemctl --user status`, the result and exit status systemd kept
// (Result, ExecMainStatus, NRestarts), the journal tail (empty when journald is absent, as on
// the test machines), and the launcher's own checks (`launch --validate`: settings, paths,
// helpers, config.toml) run with the environment systemd gives the service
// (serviceEnvironment: the manager's, the unit's and the drop-ins' Environment=,
// EnvironmentFile=), so a bad setting in override.conf is named as systemd's run met it.
// Never a second containerd beside the service on the live data.
import type { Host } from "../os/host.ts";
import { shellLine } from "../os/shell.ts";
import { systemctl, unitDiagnostics } from "./units.ts";
import { unitLogPath } from "./unit-log.ts";
import { resolvePaths } from "../os/paths.ts";

export interface LaunchCommand {
  argv: string[];
  /** the whole environment of the service (environmentValues(serviceEnvironment(...))) */
  env: Record<string, string>;
}

const tail = (text: string, n: number) => text.trim().split("\n").slice(-n).join("\n");
const indent = (text: string) => text.split("\n").map((l) => `    ${l}`).join("\n");

/** What systemd recorded about the unit's last run: "Result=exit-code ExecMainStatus=1 NRestarts=3". */
export async function recordedResult(host: Host, unit: string): Promise<Record<string, string>> {
  const r = await systemctl(host, ["show", "-p", "Result,ExecMainCode,ExecMainStatus,NRestarts,ActiveState", unit], 15_000);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export async function diagnoseStart(host: Host, unit: string, launch?: LaunchCommand): Promise<string> {
  const [{ status, journal, log }, recorded] = await Promise.all([unitDiagnostics(host, unit), recordedResult(host, unit)]);
  const parts = [`systemctl --user status ${unit}:`, indent(status || "(no output)")];
  const facts = ["Result", "ExecMainStatus", "NRestarts"].filter((k) => recorded[k] !== undefined).map((k) => `${k}=${recorded[k]}`);
  if (facts.length) parts.push(`systemd recorded: ${facts.join(" ")}`);
  if (journal) parts.push(`journalctl --user -u ${unit} -n 20 --no-pager:`, indent(journal));
  else if (log) parts.push(`journalctl --user -u ${unit}: no entries (journald is not running); the unit's last output (${unitLogPath(resolvePaths(host.env, host.uid), unit)}):`, indent(log));
  else parts.push(`journalctl --user -u ${unit}: no entries (is journald running?)`);
  if (!launch) return parts.join("\n");
  const argv = [...launch.argv, "--validate"];
  const r = await host.run(argv, { env: launch.env, cleanEnv: true, timeoutMs: 15_000 });
  const out = tail([r.stdout, r.stderr].filter((s) => s.trim()).join("\n"), 25);
  parts.push(`the launcher's checks (${shellLine(argv)}; nothing started) exited with code ${r.code}:`, indent(out || "(no output)"));
  return parts.join("\n");
}
