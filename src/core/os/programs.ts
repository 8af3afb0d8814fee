// Where a program is: the caller's PATH first, then the standard directories (an
// unprivileged user's PATH on Debian has no sbin, and cron's has only /usr/bin:/bin).
// check, the launcher's facts and the unit's PATH all look programs up this one way, so
// what check finds is what the service finds.
import type { Host } from "./host.ts";

/** The directories every unit's PATH ends with, in this order. */
export const STANDARD_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] as const;

/** The absolute path of a program on PATH or in a standard directory, or null. */
export async function findProgram(host: Host, name: string): Promise<string | null> {
  const found = await host.which(name).catch(() => null);
  if (found || name.includes("/")) return found;
  for (const dir of STANDARD_DIRS) {
    const p = await host.which(`${dir}/${name}`).catch(() => null);
    if (p) return p;
  }
  return null;
}
