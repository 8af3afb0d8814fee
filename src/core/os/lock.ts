// One run at a time per user: a lock file created with O_EXCL that holds the owner's PID.
// A second run waits briefly for it, then fails naming the holder. A lock whose PID is gone
// (a run that was killed) is stale and taken over.
import type { Host } from "./host.ts";
import type { Paths } from "./paths.ts";
import { UserError } from "./errors.ts";
import { BINARY_NAME } from "./paths.ts";

export interface Lock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** how long to wait for another run (default 2 s) */
  waitMs?: number;
  /** what this run is, written into the lock for the other run's message */
  purpose?: string;
  onWait?: (holder: LockHolder) => void;
}

export interface LockHolder {
  pid: number;
  purpose: string;
}

export function parseLock(text: string | null): LockHolder | null {
  if (text === null) return null;
  const [pidLine = "", purpose = ""] = text.split("\n");
  const pid = Number(pidLine.trim());
  return Number.isInteger(pid) && pid > 0 ? { pid, purpose: purpose.trim() } : { pid: 0, purpose: "" };
}

export async function acquireLock(host: Host, paths: Paths, opts: LockOptions = {}): Promise<Lock> {
  const file = paths.lockFile;
  const content = `${host.pid}\n${opts.purpose ?? BINARY_NAME}\n`;
  const deadline = host.now() + (opts.waitMs ?? 2000);
  let told = false;
  for (;;) {
    if (await host.createExclusive(file, content)) {
      return {
        release: async () => {
          // only remove our own lock
          if ((await host.readText(file)) === content) await host.remove(file);
        },
      };
    }
    const seen = await host.readText(file);
    const holder = parseLock(seen);
    if (holder && !host.pidAlive(holder.pid)) {
      // stale (its run was killed): take it over, unless someone replaced it meanwhile
      if ((await host.readText(file)) === seen) await host.remove(file);
      continue;
    }
    if (!holder) continue; // vanished between create and read
    if (!told) {
      opts.onWait?.(holder);
      told = true;
    }
    if (host.now() >= deadline) {
      throw new UserError(
        `another ${BINARY_NAME} run is in progress (pid ${holder.pid}${holder.purpose ? `: ${holder.purpose}` : ""}); not starting a second one`,
        `Wait for it to finish and try again. If no such run exists, remove ${file}.`,
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
