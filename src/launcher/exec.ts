// execve(2) through bun:ffi and libc: the launcher replaces its own process (same PID,
// Bun gone) with rootlesskit and then with containerd, so no Bun process stays in the
// service. glibc and musl name libc differently; both are tried. Before it, the output of what
// a unit runs can be pointed at a file (open(2), dup2(2)) for where systemd would discard it.
import { dlopen, FFIType, ptr, read, type Pointer } from "bun:ffi";

const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

const SYMBOLS = {
  execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  open: { args: [FFIType.ptr, FFIType.i32, FFIType.u32], returns: FFIType.i32 },
  dup2: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
} as const;

function openLibc() {
  const errors: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      return dlopen(name, SYMBOLS);
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`cannot load the C library (${errors.join("; ")})`);
}

/** A NULL-terminated array of pointers to NUL-terminated strings; `keep` holds the buffers. */
function cStringArray(items: string[], keep: unknown[]): Pointer {
  const pointers = new BigUint64Array(items.length + 1);
  items.forEach((s, i) => {
    const buf = Buffer.from(`${s}\0`, "utf8");
    keep.push(buf);
    pointers[i] = BigInt(ptr(buf));
  });
  keep.push(pointers);
  return ptr(pointers);
}

/**
 * Replaces this process with `argv` (argv[0] must be an absolute path) and `env`.
 * Returns only on failure, with the errno text.
 */
export function execve(argv: string[], env: Record<string, string | undefined>): string {
  let libc;
  try {
    libc = openLibc();
  } catch (e) {
    return (e as Error).message;
  }
  const keep: unknown[] = [];
  const path = Buffer.from(`${argv[0]}\0`, "utf8");
  keep.push(path);
  const argvPtr = cStringArray(argv, keep);
  const envPtr = cStringArray(
    Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`),
    keep,
  );
  libc.symbols.execve(ptr(path), argvPtr, envPtr);
  const errnoPtr = libc.symbols.__errno_location();
  const errno = errnoPtr ? read.i32(errnoPtr, 0) : 0;
  const text = errno ? String(libc.symbols.strerror(errno)) : "unknown error";
  keep.length = 0;
  return `execve ${argv[0]}: ${text} (errno ${errno})`;
}

/** Linux's O_WRONLY | O_CREAT | O_TRUNC | O_APPEND (the same on x86_64 and aarch64). */
const LOG_FLAGS = 0o1 | 0o100 | 0o1000 | 0o2000;

/**
 * Points this process's standard output and error at `path` (emptied first, mode 0600), for
 * everything it runs and execs after. Null when done, else the reason.
 */
export function redirectOutput(path: string): string | null {
  let libc;
  try {
    libc = openLibc();
  } catch (e) {
    return (e as Error).message;
  }
  const file = Buffer.from(`${path}\0`, "utf8");
  const fd = libc.symbols.open(ptr(file), LOG_FLAGS, 0o600);
  if (fd < 0) return `open ${path} failed`;
  const ok = libc.symbols.dup2(fd, 1) >= 0 && libc.symbols.dup2(fd, 2) >= 0;
  libc.symbols.close(fd);
  return ok ? null : `dup2 onto standard output failed`;
}
