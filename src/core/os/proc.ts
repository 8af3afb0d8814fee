// What /proc says of a process, read through the Host.
import type { Host } from "./host.ts";

/** The process's command line (/proc/PID/cmdline split at its NULs); empty when it cannot be read (gone, another user's). */
export async function processArgv(host: Host, pid: number): Promise<string[]> {
  return ((await host.readText(`/proc/${pid}/cmdline`).catch(() => null)) ?? "").split("\0");
}
