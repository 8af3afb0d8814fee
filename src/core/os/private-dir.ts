// A directory only this user may enter: the runtime directory (the lock, containerd's
// sockets) and the state directories this tool creates (journal, backups). A directory that
// is missing, not a directory, someone else's, or open to others (0755, or /tmp's 1777)
// stops the run before anything changes, with the fix.
import { dirname } from "node:path";
import type { Host } from "./host.ts";
import { UserError } from "./errors.ts";

export type PrivateDirProblem = { kind: "missing" | "not-dir" } | { kind: "owner"; uid: number } | { kind: "mode"; mode: number };

/** What is wrong with `path` as a private directory of `uid`, or null when it is one. */
export async function privateDirProblem(host: Host, path: string): Promise<PrivateDirProblem | null> {
  let st = await host.stat(path);
  if (st?.isSymlink) {
    const real = await host.realpath(path);
    st = real ? await host.stat(real) : null;
  }
  if (!st) return { kind: "missing" };
  if (!st.isDirectory) return { kind: "not-dir" };
  if (st.uid !== host.uid) return { kind: "owner", uid: st.uid };
  if ((st.mode & 0o077) !== 0) return { kind: "mode", mode: st.mode & 0o7777 };
  return null;
}

const q = (p: string) => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`);

export const octal = (mode: number) => `0${mode.toString(8)}`;

/**
 * Throws a UserError (exit 1) unless `path` is a directory owned by the user with no access
 * for others. With `create`, a missing one is created 0700 first.
 */
export async function requirePrivateDir(host: Host, path: string, name: string, opts: { create: boolean }): Promise<void> {
  let problem = await privateDirProblem(host, path);
  if (problem?.kind === "missing" && opts.create) {
    await host.mkdirp(dirname(path), 0o755);
    await host.mkdirp(path, 0o700);
    await host.chown(path, host.uid, host.gid).catch(() => {}); // ours already; a test host running as root maps its uid
    await host.chmod(path, 0o700);
    problem = await privateDirProblem(host, path);
  }
  if (!problem) return;
  const runtime = name === "XDG_RUNTIME_DIR";
  const own = `/run/user/${host.uid}`;
  const elsewhere = runtime ? `export XDG_RUNTIME_DIR=${own} (the directory systemd-logind makes for your login session)` : `use a HOME of your own`;
  switch (problem.kind) {
    case "missing":
      throw new UserError(`${name} (${path}) does not exist.`, runtime ? `Log in as this user directly (ssh or machinectl shell), or ${elsewhere}.` : `Create it: mkdir -m 700 -p ${q(path)}`);
    case "not-dir":
      throw new UserError(`${name} (${path}) is not a directory.`, runtime ? elsewhere : `Move the file out of the way: mv ${q(path)} ${q(`${path}.bak`)}`);
    case "owner":
      throw new UserError(`${name} (${path}) belongs to uid ${problem.uid}, not to uid ${host.uid}: it must be your own private directory.`, runtime ? elsewhere : `As root: chown -R ${host.uid} ${q(path)}`);
    case "mode":
      throw new UserError(
        `${name} (${path}) has mode ${octal(problem.mode)}: other users can reach what is in it; it must be 0700.`,
        runtime && path !== own ? elsewhere : `chmod 700 ${q(path)}`,
      );
  }
}
