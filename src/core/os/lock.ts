// One run at a time per user: an flock(2) on a file in $XDG_RUNTIME_DIR, which the kernel
// releases when the holder dies (no stale lock to take over, no check-then-remove race). The
// holder writes its PID and what it is doing into the file; a second run waits briefly, says
// whom it waits for, then fails naming the holder. Before locking, the runtime directory
// must be the user's own and private (0700): in a shared one such as /tmp another user
// could hold or plant the lock and the sockets.
import type { Host } from "./host.ts";
import type { Paths } from "./paths.ts";
import { UserError } from "./errors.ts";
import { RELEASED } from "./files.ts";
import { BINARY_NAME } from "./paths.ts";
import { requirePrivateDir } from "./private-dir.ts";

export interface Lock {
  release(): Promise<void>;
  /**
   * Whether another run may have changed the machine since `since` (LockOptions) was read: the
   * lock file said something else when this run took it, or its last holder died holding it.
   * Always true without `since`. What was read before the lock is reusable only when false.
   */
  othersSince: boolean;
}

export interface LockOptions {
  /** how long to wait for another run (default 2 s) */
  waitMs?: number;
  /** what this run is, written into the lock for the other run's message */
  purpose?: string;
  onWait?: (holder: LockHolder) => void;
  /** lockMark() read before looking at the machine (see Lock.othersSince) */
  since?: string;
}

/** What the lock file says now (every holder writes its own content, then "released"): read before reading the machine ahead of the lock. */
export async function lockMark(host: Host, paths: Paths): Promise<string> {
  return (await host.readText(paths.lockFile).catch(() => null)) ?? "";
}

export interface LockHolder {
  pid: number;
  purpose: string;
}

export function parseLock(text: string | null): LockHolder | null {
  if (text === null) return null;
  const [pidLine = "", purpose = ""] = text.split("\n");
  const pid = Number(pidLine.trim());
  return Number.isInteger(pid) && pid > 0 ? { pid, purpose: purpose.trim() } : null;
}

const describe = (h: LockHolder | null) => (h ? `pid ${h.pid}${h.purpose ? `: ${h.purpose}` : ""}` : "pid unknown");

export async function acquireLock(host: Host, paths: Paths, opts: LockOptions = {}): Promise<Lock> {
  await requirePrivateDir(host, paths.runtimeDir, "XDG_RUNTIME_DIR", { create: false });
  const file = paths.lockFile;
  // a token of its own: two holders never leave the same content
  const content = `${host.pid}\n${opts.purpose ?? BINARY_NAME}\n${crypto.randomUUID()}\n`;
  const deadline = host.now() + (opts.waitMs ?? 2000);
  let told = false;
  let holder: LockHolder | null = null;
  for (;;) {
    const held = host.tryLockFile(file, content);
    if (held) {
      const untouched = held.previous === opts.since && (held.previous === "" || held.previous.endsWith(RELEASED));
      return { release: async () => held.release(), othersSince: !untouched };
    }
    // the holder writes its name right after locking: an empty file is a run that just started
    holder = parseLock(await host.readText(file)) ?? holder;
    if (!told && holder) {
      opts.onWait?.(holder);
      told = true;
    }
    if (host.now() >= deadline) {
      throw new UserError(
        `another ${BINARY_NAME} run is in progress (${describe(holder)}); not starting a second one`,
        `Wait for it to finish and try again (the lock is ${file}; it is released when that process ends).`,
      );
    }
    await host.sleep(50);
  }
}

/** Runs `fn` while holding the lock. */
export async function withLock<T>(host: Host, paths: Paths, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(host, paths, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
