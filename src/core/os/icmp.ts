// One ICMP echo request and its reply (what `ping -c1` does), through bun:ffi and libc: Bun
// has no ICMP sockets. A raw socket (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), which needs
// CAP_NET_RAW: a container's root has it in its own user namespace), else an unprivileged
// "ping socket" (SOCK_DGRAM, allowed by net.ipv4.ping_group_range; icmp(7)). Non-blocking: the
// reply is polled every few milliseconds, so the caller's other work goes on meanwhile.
// Only net.ts calls this.
import { dlopen, FFIType, ptr, read } from "bun:ffi";

const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];
const AF_INET = 2;
const SOCK_RAW = 3;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_ICMP = 1;
const EAGAIN = 11;

const SYMBOLS = {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
} as const;

export interface EchoResult {
  ok: boolean;
  /** the reply's round trip (ok), or what went wrong: the errno text, or no reply in time */
  detail: string;
  ms: number;
  /** which socket was used: "raw" (CAP_NET_RAW) or "ping socket" (ping_group_range) */
  socket?: string;
}

function openLibc() {
  for (const name of LIBC_NAMES) {
    try {
      return dlopen(name, SYMBOLS);
    } catch {
      // the next name
    }
  }
  return null;
}

/** The internet checksum (RFC 1071) of `data`. */
export function checksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i]! << 8) | (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An echo request (type 8) with identifier `id`, sequence 1 and a short payload. */
export function echoRequest(id: number): Uint8Array {
  const packet = new Uint8Array(16);
  packet.set([8, 0, 0, 0, id >> 8, id & 0xff, 0, 1]);
  packet.set(new TextEncoder().encode("crs-ping"), 8);
  const sum = checksum(packet);
  packet[2] = sum >> 8;
  packet[3] = sum & 0xff;
  return packet;
}

/** Whether `data` (with the IP header on a raw socket, without it on a ping socket) is the echo reply to `id`. */
export function isEchoReply(data: Uint8Array, id: number, raw: boolean): boolean {
  const at = raw ? (data[0]! & 0x0f) * 4 : 0;
  if (data.length < at + 8 || data[at] !== 0) return false;
  // a ping socket rewrites the identifier to its own port: any reply on it is ours
  return !raw || ((data[at + 4]! << 8) | data[at + 5]!) === id;
}

export async function icmpEcho(address: string, timeoutMs: number, sleep: (ms: number) => Promise<void>): Promise<EchoResult> {
  const start = performance.now();
  const octets = address.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return { ok: false, detail: `not an IPv4 address: ${address}`, ms: 0 };
  const libc = openLibc();
  if (!libc) return { ok: false, detail: "cannot load the C library", ms: 0 };
  const errno = () => read.i32(libc.symbols.__errno_location()!, 0);
  const errText = () => {
    const e = errno();
    return `${String(libc.symbols.strerror(e))} (errno ${e})`;
  };
  let raw = true;
  let fd = libc.symbols.socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  let rawError = "";
  if (fd < 0) {
    rawError = errText();
    raw = false;
    fd = libc.symbols.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd < 0) return { ok: false, detail: `no ICMP socket: raw: ${rawError}; ping socket: ${errText()}`, ms: performance.now() - start };
  }
  const socket = raw ? "raw" : "ping socket";
  try {
    const id = (process.pid ^ Math.floor(Math.random() * 0xffff)) & 0xffff;
    const packet = echoRequest(id);
    // struct sockaddr_in: family (host order), port 0, the address in network order, zero padding
    const sockaddr = new Uint8Array(16);
    new DataView(sockaddr.buffer).setUint16(0, AF_INET, true);
    sockaddr.set(octets, 4);
    if (Number(libc.symbols.sendto(fd, ptr(packet), packet.length, 0, ptr(sockaddr), sockaddr.length)) < 0) return { ok: false, detail: `sendto: ${errText()}`, ms: performance.now() - start, socket };
    const buf = new Uint8Array(1500);
    while (performance.now() - start < timeoutMs) {
      const n = Number(libc.symbols.recv(fd, ptr(buf), buf.length, 0));
      if (n > 0 && isEchoReply(buf.subarray(0, n), id, raw)) return { ok: true, detail: "echo reply", ms: performance.now() - start, socket };
      if (n < 0 && errno() !== EAGAIN) return { ok: false, detail: `recv: ${errText()}`, ms: performance.now() - start, socket };
      if (n < 0) await sleep(5);
    }
    return { ok: false, detail: `no echo reply within ${timeoutMs} ms`, ms: performance.now() - start, socket };
  } finally {
    libc.symbols.close(fd);
    libc.close();
  }
}
