// verify's containers: `ctr run --rm` inside containerd's namespaces (as nerdctl's own client
// runs there), from the throwaway image, with the host's /usr, /lib*, /bin... and this binary
// bind-mounted read-only, running the agent. The network is RootlessKit's: its namespace
// (the one containerd runs in), or with detach-netns the detached one ($STATE/netns) and the
// resolv.conf RootlessKit wrote for it. Without limits a container runs with cgroups off
// (`--cgroup "" --cpu-shares 0`: runc cannot create cgroups rootless on cgroup v1, nerdctl uses
// cgroup manager "none" there); with limits through systemd's user manager, as nerdctl does
// on cgroup v2 (runc's systemd driver, a scope under user.slice).
import { dirname, join } from "node:path";
import type { Host, RunResult } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { ctrArgv, type StackFacts } from "./facts.ts";
import { AGENT_PATH } from "./image.ts";
import { parseAgentLine, type AgentEvent, type AgentPart, type AgentResult, type AgentSpec } from "./agent-spec.ts";

/** What every container of one verify run shares. */
export interface RunSetup {
  namespace: string;
  image: string;
  /** host directories bind-mounted read-only at the same place */
  mounts: string[];
}

export interface Limits {
  memoryBytes: number;
  cpus: number;
}

export interface AgentContainer {
  id: string;
  /** one part of the agent's report, as soon as it has it (null: it never came; `exited` says why) */
  part<K extends AgentPart>(key: K): Promise<AgentResult[K] | null>;
  /** ms from launching `ctr run` to that part */
  partAfterMs(key: AgentPart): Promise<number | null>;
  /** the port it listens on, once it does (null: it never will) */
  listening: Promise<number | null>;
  exited: Promise<RunResult>;
  /** ends the container: SIGTERM to ctr, which hands it to the agent */
  stop(): void;
}

export interface RunOptions {
  snapshotter?: string;
  limits?: Limits;
  /** without --rm: the stopped container stays (verify --keep) */
  keep?: boolean;
}

/**
 * A read-only bind mount. runc makes it read-only by remounting it, and in a user namespace the
 * kernel refuses a remount that would clear a flag the source's mount has locked (EPERM): a
 * resolv.conf in $XDG_RUNTIME_DIR, a tmpfs logind mounts nosuid,nodev, failed so on a
 * systemd-booted Debian 13 ("error mounting …/resolv.conf … flags: 0x5021: operation not
 * permitted"). So every bind asks for nosuid and nodev too (adding flags is always allowed;
 * nothing verify mounts needs setuid or device files).
 */
const bind = (src: string, dst: string) => `type=bind,src=${src},dst=${dst},options=rbind:ro:nosuid:nodev`;

/** The agent's command line inside the container, and the mounts it needs: this binary (or bun and the sources, when run from them). */
export function agentCommand(host: Host, spec: AgentSpec): { argv: string[]; mounts: string[] } {
  const json = JSON.stringify(spec);
  if (!host.scriptPath) return { argv: [AGENT_PATH, "verify-agent", json], mounts: [bind(host.execPath, AGENT_PATH)] };
  const root = dirname(dirname(host.scriptPath));
  return { argv: [AGENT_PATH, join("/crs/app", host.scriptPath.slice(root.length)), "verify-agent", json], mounts: [bind(host.execPath, AGENT_PATH), bind(root, "/crs/app")] };
}

/** `ctr run` arguments for one agent container. */
export function runArgs(host: Host, facts: StackFacts, setup: RunSetup, id: string, spec: AgentSpec, opts: RunOptions = {}): string[] {
  const agent = agentCommand(host, spec);
  // not ctr's --net-host: it bind-mounts /etc/hosts too, which under RootlessKit's copy-up of /etc
  // is a link into the host's root file system, whose locked mount flags made runc's read-only
  // remount fail (EPERM) on a systemd-booted Debian 13; the network namespace containerd runs in
  // (its parent's, RootlessKit's child) and that namespace's resolv.conf are all a container needs
  const net = facts.detached
    ? ["--with-ns", `network:${join(facts.stateDir, "netns")}`, ...(facts.resolvConf ? ["--mount", bind(facts.resolvConf, "/etc/resolv.conf")] : [])]
    : ["--with-ns", `network:/proc/${facts.childPid}/ns/net`, "--mount", bind("/etc/resolv.conf", "/etc/resolv.conf")];
  // the limits container reads its own cgroup's files: ctr gives it no cgroup file system, so the
  // host's cgroup2 mount is bound in (read-only, keeping the flags cgroup2 is mounted with, which
  // a user namespace cannot clear); seen on a systemd-booted Debian 13, where it read "(none)"
  const cgroup = opts.limits
    ? ["--runc-systemd-cgroup", "--cgroup", `user.slice:crs-verify:${id}`, "--memory-limit", String(opts.limits.memoryBytes), "--cpus", String(opts.limits.cpus), "--mount", "type=bind,src=/sys/fs/cgroup,dst=/sys/fs/cgroup,options=rbind:ro:nosuid:nodev:noexec"]
    : ["--cgroup", "", "--cpu-shares", "0"];
  return [
    "run",
    ...(opts.keep ? [] : ["--rm"]),
    ...(opts.snapshotter ? ["--snapshotter", opts.snapshotter] : []),
    ...net,
    ...cgroup,
    ...setup.mounts.flatMap((m) => ["--mount", bind(m, m)]),
    ...agent.mounts.flatMap((m) => ["--mount", m]),
    setup.image,
    id,
    ...agent.argv,
  ];
}

/** Starts one agent container; its events arrive as the agent prints them. */
export function startAgentContainer(host: Host, paths: Paths, facts: StackFacts, setup: RunSetup, id: string, spec: AgentSpec, opts: RunOptions = {}): AgentContainer {
  const started = host.now();
  const parts = new Map<AgentPart, { value: Promise<unknown>; settle: (v: unknown) => void; at?: number }>();
  let ended = false;
  const slot = (key: AgentPart) => {
    let s = parts.get(key);
    if (!s) {
      let settle: (v: unknown) => void = () => {};
      const value = new Promise<unknown>((r) => (settle = r));
      parts.set(key, (s = { value, settle }));
      if (ended) settle(null);
    }
    return s;
  };
  let listen: (p: number | null) => void = () => {};
  const listening = new Promise<number | null>((r) => (listen = r));
  const onEvent = (e: AgentEvent) => {
    if (e.event === "result") {
      for (const [key, value] of Object.entries(e)) {
        if (key === "event") continue;
        const s = slot(key as AgentPart);
        s.at ??= host.now() - started;
        s.settle(value);
      }
    } else if (e.event === "listening") listen(e.port);
    else if (e.event === "listen-failed") listen(null);
  };
  const argv = ctrArgv(facts, paths, setup.namespace, runArgs(host, facts, setup, id, spec, opts));
  const proc = host.start(argv, (line) => {
    const e = parseAgentLine(line);
    if (e) onEvent(e);
  }, { env: facts.nsenterEnv, timeoutMs: spec.deadlineMs + 30_000 });
  const exited = proc.exited.then((r) => {
    // every part the agent did not report never comes: asked before or after its end (a fixed list once missed
    // `links`, and a verify interrupted before the agent reported it waited forever)
    ended = true;
    for (const s of parts.values()) s.settle(null);
    listen(null);
    return r;
  });
  return {
    id,
    part: <K extends AgentPart>(key: K) => slot(key).value as Promise<AgentResult[K] | null>,
    partAfterMs: (key) => slot(key).value.then(() => slot(key).at ?? null),
    listening,
    exited,
    stop: () => proc.signal("SIGTERM"),
  };
}
