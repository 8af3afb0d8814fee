// Is the systemd user manager still there? Asked of the thing itself: the manager's private
// socket ($XDG_RUNTIME_DIR/systemd/private, the one `systemctl --user` connects to: systemd's
// bus_connect_user_systemd in src/shared/bus-util.c) accepts a connection or it does not (a
// stopped manager may leave the socket file behind, which then refuses). systemctl's own words
// for it changed between releases, so they are only a second sign, for a failure whose text is
// all that is left: systemd 252 says "Failed to connect to bus: …", systemd 254 and later
// (bus_log_connect_full) "Failed to connect to user scope bus via local transport: …".
import { join } from "node:path";
import type { Host } from "../os/host.ts";

const UNREACHABLE_WORDS = /Failed to connect to (?:the )?bus\b|Failed to connect to \S+ scope bus via \S+ transport|Transport endpoint is not connected/i;

/** Whether systemctl's output says it could not reach the manager, in the words of any systemd release. */
export const saysManagerUnreachable = (text: string): boolean => UNREACHABLE_WORDS.test(text);

/** The manager's private socket, or null without an absolute XDG_RUNTIME_DIR (then it cannot be found). */
export function managerSocket(host: Host): string | null {
  const rt = host.env.XDG_RUNTIME_DIR;
  return rt && rt.startsWith("/") ? join(rt, "systemd/private") : null;
}

/** Whether the user manager accepts a connection on its socket now; null when its socket cannot be located. */
export async function managerListens(host: Host): Promise<boolean | null> {
  const socket = managerSocket(host);
  if (!socket) return null;
  return host.unixSocketAccepts(socket).catch(() => false);
}

/**
 * The user manager is gone (stopped, or the session ended): `failureText` (what systemctl said)
 * says it could not connect, or its socket refuses or is absent now.
 */
export async function managerGone(host: Host, failureText = ""): Promise<boolean> {
  return saysManagerUnreachable(failureText) || (await managerListens(host)) === false;
}
