// RootlessKit that can never finish stopping. RootlessKit 1.x forwards every signal to its
// child from right after it starts it (rootless-containers/rootlesskit v1.1.0,
// pkg/parent/parent.go: sigproxy.ForwardAllSignals after setupUIDGIDMap), but reaps that child
// only at the very end (cmd.Wait, after the network is set up). A SIGTERM in between (a stop
// within ~100 ms of a start, seen 1 in 40 under load) kills the child while the parent waits for
// slirp4netns to become ready (pkg/network/slirp4netns: waitForReadyFD loops until slirp4netns
// answers or exits), which never happens. The parent swallows every later signal (it forwards
// them to the dead child), and the reference unit's TimeoutSec=0 lets systemd wait for good.
// The sign: RootlessKit's child (started as /proc/self/exe, so named "exe") is a zombie.
import type { Host } from "../os/host.ts";

/** A process's command name and state (R, S, Z, ...), from /proc/PID/stat. */
export async function procStat(host: Host, pid: number): Promise<{ comm: string; state: string } | null> {
  const text = await host.readText(`/proc/${pid}/stat`).catch(() => null);
  if (!text) return null;
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  return { comm: text.slice(open + 1, close), state: text.slice(close + 2).split(" ")[0] ?? "" };
}

/** The children of every thread of `pid` (a Go program forks from any of its threads). */
export async function children(host: Host, pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const task of (await host.readdir(`/proc/${pid}/task`).catch(() => null)) ?? []) {
    const text = (await host.readText(`/proc/${pid}/task/${task}/children`).catch(() => null)) ?? "";
    for (const c of text.split(/\s+/).filter(Boolean)) out.push(Number(c));
  }
  return out;
}

/** Whether `pid` is a RootlessKit whose own child has died without being reaped: it will never exit by itself. */
export async function rootlesskitOrphaned(host: Host, pid: number): Promise<boolean> {
  if (!(pid > 0) || (await procStat(host, pid))?.comm !== "rootlesskit") return false;
  for (const c of await children(host, pid)) {
    const s = await procStat(host, c);
    if (s?.comm === "exe" && s.state === "Z") return true;
  }
  return false;
}
