// The Host's network half: the machine's interfaces and name, a TCP listener and a TCP
// exchange, one UDP request and its answer, and an ICMP echo (icmp.ts). `verify` uses it on
// both sides of a container's network: on the host (a listener the container must reach, the
// host's own resolver, the published ports) and inside the container (its agent). Like the
// rest of the Host it is the only code that opens sockets to the network.
import { createServer, connect, type Socket } from "node:net";
import { createSocket } from "node:dgram";
import { hostname, networkInterfaces } from "node:os";
import { HostStreams } from "./streams.ts";
import { icmpEcho, type EchoResult } from "./icmp.ts";

export type { EchoResult } from "./icmp.ts";

export interface InterfaceAddress {
  name: string;
  family: "IPv4" | "IPv6";
  address: string;
  /** address/prefix */
  cidr: string | null;
  internal: boolean;
}

/** One accepted connection: who connected, its first line, and a way to answer. */
export interface Accepted {
  remoteAddress: string;
  remotePort: number;
  line: string;
  reply(text: string): void;
}

export interface Listener {
  port: number;
  close(): void;
}

export interface Exchange {
  ok: boolean;
  /** the peer's answer up to its first newline (ok), or what went wrong */
  text: string;
  ms: number;
}

export class HostNet extends HostStreams {
  /** Every address of every interface (getifaddrs). */
  interfaces(): InterfaceAddress[] {
    const out: InterfaceAddress[] = [];
    for (const [name, list] of Object.entries(networkInterfaces())) {
      for (const a of list ?? []) out.push({ name, family: a.family === "IPv6" ? "IPv6" : "IPv4", address: a.address, cidr: a.cidr ?? null, internal: a.internal });
    }
    return out;
  }

  /** The machine's host name (uname's nodename). */
  hostname(): string {
    return hostname();
  }

  /** Listens on `address:port` (0: any free port); each connection's first line goes to `onLine`, which may answer. */
  listenTcp(address: string, port: number, onLine: (c: Accepted) => void): Promise<Listener> {
    const server = createServer((socket: Socket) => {
      let buf = "";
      socket.setTimeout(10_000, () => socket.destroy());
      socket.on("error", () => socket.destroy());
      socket.on("data", (chunk) => {
        buf += chunk.toString("utf8");
        const nl = buf.indexOf("\n");
        if (nl === -1) return;
        socket.removeAllListeners("data");
        onLine({ remoteAddress: (socket.remoteAddress ?? "").replace(/^::ffff:/, ""), remotePort: socket.remotePort ?? 0, line: buf.slice(0, nl), reply: (text) => socket.end(text) });
      });
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: address, port, exclusive: true }, () => {
        const addr = server.address();
        resolve({ port: typeof addr === "object" && addr ? addr.port : port, close: () => server.close() });
      });
    });
  }

  /** Connects to `address:port`, sends `line` and a newline, and reads the answer up to its first newline. */
  exchangeTcp(address: string, port: number, line: string, timeoutMs: number): Promise<Exchange> {
    const start = performance.now();
    return new Promise((resolve) => {
      let buf = "";
      let settled = false;
      const finish = (ok: boolean, text: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok, text, ms: performance.now() - start });
      };
      const timer = setTimeout(() => finish(false, `no answer within ${timeoutMs} ms`), timeoutMs);
      const socket = connect({ host: address, port }, () => socket.write(`${line}\n`));
      socket.on("data", (chunk) => {
        buf += chunk.toString("utf8");
        const nl = buf.indexOf("\n");
        if (nl !== -1) finish(true, buf.slice(0, nl));
      });
      socket.on("end", () => finish(false, buf ? `closed after ${JSON.stringify(buf)}` : "closed by the peer without an answer"));
      socket.on("error", (e: NodeJS.ErrnoException) => finish(false, e.code ? `${e.code} (${e.message})` : e.message));
    });
  }

  /** Sends one UDP datagram to `address:port` and returns the first datagram that `accept`s (null: none in time; a string: the error). */
  async exchangeUdp(address: string, port: number, payload: Uint8Array, timeoutMs: number, accept: (answer: Uint8Array) => boolean): Promise<Uint8Array | string | null> {
    const socket = createSocket(address.includes(":") ? "udp6" : "udp4");
    try {
      return await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        socket.on("message", (msg) => {
          if (!accept(msg)) return;
          clearTimeout(timer);
          resolve(new Uint8Array(msg));
        });
        socket.on("error", (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          resolve(e.code ?? e.message);
        });
        socket.send(payload, port, address, (e) => {
          if (!e) return;
          clearTimeout(timer);
          resolve((e as NodeJS.ErrnoException).code ?? e.message);
        });
      });
    } finally {
      socket.close();
    }
  }

  /** One ICMP echo request to an IPv4 address and its reply (icmp.ts). */
  ping(address: string, timeoutMs: number): Promise<EchoResult> {
    return icmpEcho(address, timeoutMs, (ms) => Bun.sleep(ms));
  }
}
