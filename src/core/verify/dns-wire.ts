// A DNS question for a name's A records and the reading of its answer (RFC 1035 section 4:
// header, question, resource records; names in answers may be compressed pointers). Used on
// both sides of verify's DNS probe: the host asks its own resolver, the agent the container's.
import type { Host } from "../os/host.ts";
import type { DnsAnswer } from "./agent-spec.ts";

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

/** A recursive query (RD) for `name` IN A with identifier `id`. */
export function dnsQuery(name: string, id: number): Uint8Array {
  const labels = name.replace(/\.$/, "").split(".").filter(Boolean);
  const bytes: number[] = [id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const label of labels) {
    const enc = new TextEncoder().encode(label);
    bytes.push(enc.length, ...enc);
  }
  bytes.push(0, 0, 1, 0, 1);
  return new Uint8Array(bytes);
}

/** The identifier of a DNS message (to match an answer to its question). */
export const dnsId = (msg: Uint8Array): number => (msg.length >= 2 ? (msg[0]! << 8) | msg[1]! : -1);

/** Skips a (possibly compressed) name at `at`; returns the offset after it. */
function skipName(msg: Uint8Array, at: number): number {
  for (let guard = 0; at < msg.length && guard < 128; guard++) {
    const len = msg[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += 1 + len;
  }
  throw new Error("malformed name");
}

export interface DnsReply {
  rcode: string;
  addresses: string[];
}

/** The answer's RCODE and the IPv4 addresses of its A records; null when `msg` is not an answer. */
export function parseDnsReply(msg: Uint8Array): DnsReply | null {
  if (msg.length < 12 || !(msg[2]! & 0x80)) return null;
  const rcode = RCODES[msg[3]! & 0x0f] ?? `RCODE ${msg[3]! & 0x0f}`;
  const qd = (msg[4]! << 8) | msg[5]!;
  const an = (msg[6]! << 8) | msg[7]!;
  const addresses: string[] = [];
  try {
    let at = 12;
    for (let i = 0; i < qd; i++) at = skipName(msg, at) + 4;
    for (let i = 0; i < an && at < msg.length; i++) {
      at = skipName(msg, at);
      const type = (msg[at]! << 8) | msg[at + 1]!;
      const len = (msg[at + 8]! << 8) | msg[at + 9]!;
      at += 10;
      if (type === 1 && len === 4) addresses.push([...msg.subarray(at, at + 4)].join("."));
      at += len;
    }
  } catch {
    return { rcode, addresses };
  }
  return { rcode, addresses: addresses.sort() };
}

/** The `nameserver` lines of a resolv.conf (resolv.conf(5)). */
export function nameservers(text: string | null): string[] {
  return (text ?? "").split("\n").map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => Boolean(s));
}

/** Asks `server` (port 53, UDP) for `name`'s A records. */
export async function askResolver(host: Host, server: string, name: string, timeoutMs: number): Promise<DnsAnswer> {
  const id = Math.floor(Math.random() * 0xffff);
  const start = host.now();
  const r = await host.exchangeUdp(server, 53, dnsQuery(name, id), timeoutMs, (m) => dnsId(m) === id);
  const ms = host.now() - start;
  if (r === null) return { server, rcode: null, addresses: [], error: `no answer within ${timeoutMs} ms`, ms };
  if (typeof r === "string") return { server, rcode: null, addresses: [], error: r, ms };
  const reply = parseDnsReply(r);
  return reply ? { server, ...reply, ms } : { server, rcode: null, addresses: [], error: "not a DNS answer", ms };
}
