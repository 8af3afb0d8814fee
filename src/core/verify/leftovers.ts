// Nothing verify creates may outlive it: its containerd namespace (the throwaway image, its
// snapshots, the containers) and the ports it published through RootlessKit. Before it creates
// anything a run writes what it will create to a record in $XDG_RUNTIME_DIR (0700, gone at
// reboot with everything it names); a run that ends removes what it created and its record. A
// run that was killed (SIGKILL, OOM) leaves its record, and the next verify removes what it
// names — once its process is gone (a verify running beside it keeps its own).
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { BINARY_NAME } from "../os/paths.ts";
import { shellQuote } from "../os/shell.ts";
import type { StackFacts } from "./facts.ts";
import { listPorts, removePort, specText } from "../rootlesskit/api.ts";
import { deleteImage, deleteNamespace } from "../containerd/api.ts";

export interface VerifyRecord {
  pid: number;
  /** the process's start time (/proc/PID/stat field 22): a reused PID is not the same run */
  started: string;
  namespace: string;
  image: string;
  containers: string[];
  /** ports published through RootlessKit's API ("127.0.0.1:8080:80/tcp"), recorded before they are added; they live as long as that RootlessKit */
  ports: string[];
  rootlesskitChild: number;
}

export const recordDir = (paths: Paths) => join(paths.runtimeDir, `${BINARY_NAME}-verify`);
const recordFile = (paths: Paths, pid: number) => join(recordDir(paths), `${pid}.json`);

/** Field 22 of /proc/PID/stat (after the command name, which may hold spaces). */
export async function startTime(host: Host, pid: number): Promise<string | null> {
  const stat = await host.readText(`/proc/${pid}/stat`).catch(() => null);
  return stat ? (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null) : null;
}

export async function writeRecord(host: Host, paths: Paths, record: VerifyRecord): Promise<void> {
  await host.mkdirp(recordDir(paths), 0o700);
  await host.writeFileAtomic(recordFile(paths, record.pid), JSON.stringify(record), 0o600);
}

export async function removeRecord(host: Host, paths: Paths, pid: number): Promise<void> {
  await host.remove(recordFile(paths, pid)).catch(() => {});
  await host.removeEmptyDir(recordDir(paths)).catch(() => {});
}

/** Records of runs whose process is gone. */
export async function abandonedRecords(host: Host, paths: Paths): Promise<VerifyRecord[]> {
  const names = (await host.readdir(recordDir(paths))) ?? [];
  const out: VerifyRecord[] = [];
  for (const name of names.filter((n) => /^\d+\.json$/.test(n))) {
    let record: VerifyRecord;
    try {
      record = JSON.parse((await host.readText(join(recordDir(paths), name))) ?? "") as VerifyRecord;
    } catch {
      await host.remove(join(recordDir(paths), name)).catch(() => {});
      continue;
    }
    if (record.pid === host.pid) continue;
    if ((await startTime(host, record.pid)) === record.started) continue;
    out.push(record);
  }
  return out;
}

/** The shell lines (run inside the namespace) that remove a run's containers (whatever is left of them), its image and its namespace. */
export function removalScript(facts: StackFacts, paths: Paths, record: Pick<VerifyRecord, "namespace" | "image">, containersLeft = true): string {
  const ctr = [facts.ctr, "--address", paths.containerdSocket].map(shellQuote).join(" ");
  const inNs = `${ctr} -n ${shellQuote(record.namespace)}`;
  return [
    // SIGKILL to the task's process, then delete it once it has stopped (`tasks delete -f` kills with runc's --all, which
    // needs the container's cgroup: these run without one), then the container with its snapshot
    ...(containersLeft
      ? [
          `for c in $(${inNs} containers ls -q 2>/dev/null); do ${inNs} tasks kill -s SIGKILL "$c" >/dev/null 2>&1; n=0; while ${inNs} tasks ls -q 2>/dev/null | grep -qx "$c" && [ $n -lt 200 ]; do ${inNs} tasks delete "$c" >/dev/null 2>&1 || sleep 0.05; n=$((n+1)); done; ${inNs} containers delete "$c" >/dev/null 2>&1; done`,
        ]
      : []),
    `${inNs} images rm --sync ${shellQuote(record.image)} >/dev/null 2>&1`,
    `${ctr} namespaces rm ${shellQuote(record.namespace)} >/dev/null`,
  ].join("; ");
}

/**
 * Removes what a run created: its ports (when the same RootlessKit still runs), then containers,
 * image and namespace. `containersLeft` false: every container was removed by its own `ctr run --rm`.
 */
export async function removeResources(host: Host, paths: Paths, facts: StackFacts, record: VerifyRecord, containersLeft = true): Promise<{ removed: string[]; problems: string[] }> {
  const removed: string[] = [];
  const problems: string[] = [];
  if (record.ports.length && record.rootlesskitChild === facts.childPid) {
    for (const p of (await listPorts(host, facts.stateDir)).filter((p) => record.ports.includes(specText(p.spec)))) {
      const error = await removePort(host, facts.stateDir, p.id);
      if (error) problems.push(`RootlessKit port ${p.id} (${specText(p.spec)}): ${error}`);
      else removed.push(`RootlessKit port ${p.id} (${specText(p.spec)})`);
    }
  }
  // the usual end (every container removed by its own `ctr run --rm`): two calls on containerd's socket, no process
  if (!containersLeft && (await deleteImage(host, paths, record.namespace, record.image)).ok && (await deleteNamespace(host, paths, record.namespace)).ok) {
    removed.push(`containerd namespace ${record.namespace} (image ${record.image}${record.containers.length ? `, containers ${record.containers.join(", ")}` : ""})`);
    return { removed, problems };
  }
  const r = await host.run([...facts.nsenter, "sh", "-c", removalScript(facts, paths, record, containersLeft)], { env: facts.nsenterEnv, timeoutMs: 30_000 });
  if (r.code === 0) removed.push(`containerd namespace ${record.namespace} (image ${record.image}${record.containers.length ? `, containers ${record.containers.join(", ")}` : ""})`);
  else if (/not found|does not exist/.test(r.stderr)) removed.push(`containerd namespace ${record.namespace} (already gone)`);
  else problems.push(`removing containerd namespace ${record.namespace}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return { removed, problems };
}

/** Removes what killed runs left behind; what was removed, and what could not be. */
export async function sweepAbandoned(host: Host, paths: Paths, facts: StackFacts): Promise<{ removed: string[]; problems: string[] }> {
  const out = { removed: [] as string[], problems: [] as string[] };
  for (const record of await abandonedRecords(host, paths)) {
    const r = await removeResources(host, paths, facts, record);
    out.removed.push(...r.removed.map((x) => `${x}, left by verify (pid ${record.pid})`));
    out.problems.push(...r.problems);
    if (r.problems.length === 0) await removeRecord(host, paths, record.pid);
  }
  return out;
}
