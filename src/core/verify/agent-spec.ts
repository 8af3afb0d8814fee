// What `verify` asks of its agent inside a container, and what the agent reports back: one
// JSON object per line on the agent's stdout. Shared by both sides (the agent is this same
// binary, `verify-agent SPEC`, bind-mounted into the throwaway container).

export interface AgentSpec {
  /** write a file on the container's / and read it back (the snapshot is mounted, writable) */
  rootfs?: boolean;
  /** report the interfaces, addresses and default route */
  interfaces?: boolean;
  /** a TCP exchange with a listener the host side opened */
  tcp?: { address: string; port: number; token: string };
  /** ask each nameserver of the container's /etc/resolv.conf for this name's A records */
  dns?: { name: string };
  /** one ICMP echo request, waiting `timeoutMs` for the reply */
  ping?: { address: string; timeoutMs: number };
  /** listen on 0.0.0.0:PORT (0: any) and answer each connection with the peer's address, until SIGTERM */
  listen?: { port: number };
  /** read the container's own cgroup limits (cgroup v2: memory.max, cpu.max) */
  cgroup?: boolean;
  /** the agent exits by itself after this long, whatever happens (a container never outlives its run) */
  deadlineMs: number;
}

export interface DnsAnswer {
  server: string;
  /** the answer's RCODE name (NOERROR, NXDOMAIN, SERVFAIL...), or null when none came */
  rcode: string | null;
  addresses: string[];
  /** why there was no answer */
  error?: string;
  ms: number;
}

/** What the agent found; it reports each part as soon as it has it (`{"event":"result", "dns": ...}`), then `done`. */
export interface AgentResult {
  rootfs?: { ok: boolean; fsType: string | null; detail: string };
  interfaces?: { name: string; cidr: string }[];
  /** every interface but lo with its state (/sys/class/net/IF/operstate): one that is down has no addresses above */
  links?: { name: string; state: string }[];
  route?: { iface: string; gateway: string } | null;
  tcp?: { ok: boolean; text: string; ms: number };
  dns?: { servers: string[]; answers: DnsAnswer[] };
  ping?: { ok: boolean; detail: string; ms: number; socket?: string };
  cgroup?: { memoryMax: string | null; cpuMax: string | null };
}

export type AgentPart = keyof AgentResult;

export type AgentEvent =
  | ({ event: "result" } & AgentResult)
  | { event: "done" }
  | { event: "listening"; port: number }
  | { event: "listen-failed"; detail: string }
  | { event: "served"; peer: string; line: string };

/** Parses one line of the agent's output (null: not one of its events). */
export function parseAgentLine(line: string): AgentEvent | null {
  if (!line.startsWith("{")) return null;
  try {
    const v = JSON.parse(line) as AgentEvent;
    return v && typeof v === "object" && typeof v.event === "string" ? v : null;
  } catch {
    return null;
  }
}
