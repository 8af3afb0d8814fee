// flock(2) through bun:ffi and libc (as the launcher's execve): the kernel holds the lock for
// the open file and drops it when the process dies, however it dies (SIGKILL, OOM, power
// loss of the session), so a killed run never leaves a lock behind for the next one to guess
// about. Only files.ts and streams.ts (a staged copy's owner mark) call this, with a descriptor it opened (close-on-exec, so programs we
// start never inherit the lock).
import { dlopen, FFIType, read } from "bun:ffi";

const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const EINTR = 4;
const EWOULDBLOCK = 11;

const SYMBOLS = {
  flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

type Libc = ReturnType<typeof dlopen<typeof SYMBOLS>>;
let libc: Libc | undefined;

function open(): Libc {
  if (libc) return libc;
  const errors: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      return (libc = dlopen(name, SYMBOLS));
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`cannot load the C library for flock (${errors.join("; ")})`);
}

function errno(l: Libc): number {
  const p = l.symbols.__errno_location();
  return p ? read.i32(p, 0) : 0;
}

/** Takes an exclusive lock on `fd` without waiting: true when taken, false when another open file holds it. */
export function tryLockExclusive(fd: number): boolean {
  const l = open();
  for (;;) {
    if (l.symbols.flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
    const e = errno(l);
    if (e === EINTR) continue;
    if (e === EWOULDBLOCK) return false;
    throw new Error(`flock: errno ${e}`);
  }
}

/** Drops the lock (closing the descriptor drops it too). */
export function unlock(fd: number): void {
  open().symbols.flock(fd, LOCK_UN);
}
