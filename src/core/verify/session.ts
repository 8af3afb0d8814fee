// One verify run's shared state: what the probes wait on together. The throwaway image in a
// containerd namespace of its own, the one container most probes look through (the agent:
// its root, network, DNS, ping, and a listener behind a published port), the listener on the
// host the container must reach, the host's own DNS answer to compare with, the record of
// what exists (leftovers.ts), and the check findings some probes reuse for their fixes.
import { randomBytes } from "node:crypto";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { createContext, type CheckContext } from "../checks/context.ts";
import type { Finding } from "../checks/findings.ts";
import { probeCgroup } from "../checks/cgroup.ts";
import { probeUnprivileged } from "../checks/unprivileged.ts";
import { probeDns } from "../checks/dns.ts";
import { probePasta } from "../checks/pasta.ts";
import { ctrArgv, type StackFacts } from "./facts.ts";
import { askResolver, nameservers } from "./dns-wire.ts";
import type { DnsAnswer } from "./agent-spec.ts";
import { layerEntries, ociArchive, tar } from "./image.ts";
import { startAgentContainer, type AgentContainer, type Limits } from "./containers.ts";
import { writeRecord, startTime, type VerifyRecord } from "./leftovers.ts";
import type { AgentSpec } from "./agent-spec.ts";

/** How long an agent container may live, whatever happens. */
export const AGENT_DEADLINE_MS = 15_000;

export interface HostListener {
  address: string;
  port: number;
  token: string;
  /** the address the container's connection came from, once it arrived with the token */
  reached: Promise<string | null>;
  close(): void;
}

export class Session {
  readonly namespace: string;
  readonly image: string;
  readonly token = randomBytes(8).toString("hex");
  readonly record: VerifyRecord;
  readonly checks: CheckContext;
  readonly containers: AgentContainer[] = [];
  imported!: Promise<{ ok: boolean; detail: string }>;
  main!: Promise<AgentContainer | null>;
  listener!: Promise<HostListener | null>;
  hostDns!: Promise<{ servers: string[]; answers: DnsAnswer[] }>;
  private layer!: ReturnType<typeof layerEntries>;

  constructor(
    readonly host: Host,
    readonly paths: Paths,
    readonly facts: StackFacts,
    readonly opts: { registry?: string; signal?: AbortSignal; keep?: boolean } = {},
  ) {
    this.namespace = `crs-verify-${host.pid}`;
    this.image = `crs-verify.invalid/rootfs:${host.pid}`;
    this.record = { pid: host.pid, started: "", namespace: this.namespace, image: this.image, containers: [], ports: [], rootlesskitChild: facts.childPid };
    this.checks = createContext(host, paths, "");
  }

  /** A check's findings (memoised per run), for a probe's diagnosis and fix. */
  findings(group: "cgroup" | "unprivileged" | "dns" | "pasta"): Promise<Finding[]> {
    const probe = { cgroup: probeCgroup, unprivileged: probeUnprivileged, dns: probeDns, pasta: probePasta }[group];
    return this.checks.memo(`verify:${group}`, async () => (await probe(this.checks).catch(() => ({ findings: [] }))).findings);
  }

  /** The cgroup facts probeCgroup gathered (version, delegated controllers). */
  async cgroup(): Promise<{ version: string; delegated: string[]; findings: Finding[] }> {
    const r = await this.checks.memo("verify:cgroup-facts", () => probeCgroup(this.checks));
    return { version: r.facts?.cgroup ?? "unknown", delegated: r.facts?.delegatedControllers ?? [], findings: r.findings };
  }

  /** Records what this run will create, then starts what the probes share: the image, the host's listener and DNS answer. */
  async begin(mainSpec: (listener: HostListener | null) => Promise<AgentSpec>): Promise<void> {
    this.record.started = (await startTime(this.host, this.host.pid)) ?? "";
    this.checks.user = await this.host.userName().catch(() => String(this.host.uid));
    await writeRecord(this.host, this.paths, this.record);
    this.listener = this.openListener();
    this.hostDns = this.host
      .readText("/etc/resolv.conf")
      .catch(() => null)
      .then(async (text) => {
        const servers = nameservers(text);
        return { servers, answers: await Promise.all(servers.map((s) => askResolver(this.host, s, this.facts.hostname, 2000))) };
      });
    this.layer = layerEntries(this.host);
    this.imported = this.importImage();
    this.main = Promise.all([this.imported, this.listener]).then(([imp, listener]) => (imp.ok ? mainSpec(listener).then((spec) => this.startContainer("main", spec)) : null));
    // what the probes' predictions and fixes need, asked while the image is imported
    void this.findings("unprivileged");
    void this.cgroup();
  }

  private async importImage(): Promise<{ ok: boolean; detail: string }> {
    const { entries } = await this.layer;
    const archive = ociArchive(this.image, tar(entries), this.host.arch);
    const argv = ctrArgv(this.facts, this.paths, this.namespace, ["images", "import", "--snapshotter", this.facts.defaultSnapshotter, "-"]);
    const start = this.host.now();
    const r = await this.host.run(argv, { env: this.facts.nsenterEnv, input: archive, timeoutMs: 60_000 });
    return r.code === 0 ? { ok: true, detail: `imported ${this.image} (${archive.length} bytes) in ${(this.host.now() - start).toFixed(0)} ms` } : { ok: false, detail: `ctr images import: exit ${r.code}: ${(r.stderr || r.stdout).trim()}` };
  }

  private async openListener(): Promise<HostListener | null> {
    const address = this.facts.hostAddress;
    if (!address) return null;
    let reachedBy: (peer: string | null) => void = () => {};
    const reached = new Promise<string | null>((r) => (reachedBy = r));
    const l = await this.host
      .listenTcp(address, 0, (c) => {
        c.reply(c.line === this.token ? `crs-verify ${this.token}\n` : "unexpected\n");
        if (c.line === this.token) reachedBy(c.remoteAddress);
      })
      .catch(() => null);
    if (!l) return null;
    return { address, port: l.port, token: this.token, reached, close: () => (l.close(), reachedBy(null)) };
  }

  /** Starts an agent container `crs-verify-PID-NAME` from the image (recorded first). */
  async startContainer(name: string, spec: AgentSpec, opts: { snapshotter?: string; limits?: Limits } = {}): Promise<AgentContainer> {
    const id = `${this.namespace}-${name}`;
    this.record.containers.push(id);
    await writeRecord(this.host, this.paths, this.record);
    const setup = { namespace: this.namespace, image: this.image, mounts: (await this.layer).mounts };
    const c = startAgentContainer(this.host, this.paths, this.facts, setup, id, spec, { snapshotter: opts.snapshotter ?? this.facts.defaultSnapshotter, limits: opts.limits, keep: this.opts.keep });
    this.containers.push(c);
    return c;
  }

  /** Notes ports ("127.0.0.1:8080:80/tcp") before they are published, and drops them once removed (the next verify removes those of a killed run). */
  async notePorts(specs: string[], published: boolean): Promise<void> {
    this.record.ports = published ? [...this.record.ports, ...specs] : this.record.ports.filter((p) => !specs.includes(p));
    await writeRecord(this.host, this.paths, this.record);
  }
}
