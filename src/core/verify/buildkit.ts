// What verify asks an installed BuildKit: its workers (Control/ListWorkers), then a build of a
// one-step image FROM scratch — an LLB definition with a single file operation (mkfile on
// scratch) solved by Control/Solve, as `buildctl build` sends one, marked Internal (not kept
// in the build history) and exported nowhere — and then that step's cache record pruned by its
// name (Control/Prune with a description filter), so nothing of it stays. The messages follow
// moby/buildkit v0.26.3: api/services/control/control.proto, api/types/worker.proto,
// solver/pb/ops.proto (field numbers below), cache/manager.go (the prune filter's fields).
// The e2e tests meet BuildKit as a stand-in (test/fixtures/standins): it answers ListWorkers and
// nothing else, so they prove the workers part only; the build was checked against a real
// buildkitd v0.26.3 in a session (README, "verify").
import { randomBytes } from "node:crypto";
import type { Host } from "../os/host.ts";
import type { ProbeResult } from "../os/socket-protocols.ts";
import { describeGrpc, grpcCall, GRPC } from "../os/grpc.ts";
import { concat, entry, field, num, repeatedField } from "../os/protobuf-wire.ts";

const OCI_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64" };

/** The LLB of FROM scratch plus one step (a file written), named `name`; and its step's digest. */
export function scratchBuild(name: string, arch: string): Uint8Array {
  const mkfile = concat([field(1, "/crs-verify"), num(2, 0o644), field(3, `${name}\n`), num(5, -1)]);
  const action = concat([num(1, -1), num(2, -1), num(3, 0), field(5, mkfile)]);
  const platform = concat([field(1, OCI_ARCH[arch] ?? arch), field(2, "linux")]);
  const step = concat([field(4, field(2, action)), field(10, platform)]);
  const digest = `sha256:${new Bun.CryptoHasher("sha256").update(step).digest("hex")}`;
  const terminal = field(1, concat([field(1, digest), num(2, 0)]));
  const metadata = entry(2, digest, concat([num(1, 1), entry(2, "llb.customname", name)]));
  return concat([field(1, step), field(1, terminal), metadata]);
}

const CONTROL = "/moby.buildkit.v1.Control";

/** ListWorkers, a build of one step FROM scratch, and the pruning of what it left. */
/** One call to BuildKit's control API: its response message when it returned OK, else why not. */
async function control(host: Host, socket: string, method: string, message: Uint8Array, timeoutMs: number): Promise<{ ok: true; body: Uint8Array } | { ok: false; detail: string }> {
  const r = await grpcCall(host, socket, `${CONTROL}/${method}`, { message, timeoutMs });
  return r.answered && r.status === GRPC.OK ? { ok: true, body: r.body } : { ok: false, detail: describeGrpc(r) };
}

export async function buildkitBuilds(host: Host, socket: string): Promise<ProbeResult> {
  const workers = await control(host, socket, "ListWorkers", new Uint8Array(0), 5000);
  if (!workers.ok) return { ok: false, detail: `ListWorkers: ${workers.detail}` };
  const ids = repeatedField(workers.body, 1).map((r) => new TextDecoder().decode(repeatedField(r, 1)[0] ?? new Uint8Array(0)));
  if (ids.length === 0) return { ok: false, detail: "buildkitd lists no worker: it cannot build" };
  const name = `crs-verify-${host.pid}-${randomBytes(4).toString("hex")}`;
  const solve = concat([field(1, name), field(2, scratchBuild(name, host.arch)), num(11, 1)]);
  const built = await control(host, socket, "Solve", solve, 60_000);
  const workersText = `worker${ids.length > 1 ? "s" : ""} ${ids.join(", ")}`;
  if (!built.ok) return { ok: false, detail: `${workersText}; a one-step build FROM scratch failed: ${built.detail}` };
  const pruned = await control(host, socket, "Prune", field(1, `description==${name}`), 10_000);
  const left = pruned.ok ? "" : ` (its cache record "${name}" could not be pruned: ${pruned.detail}; \`buildctl prune\` removes it)`;
  return { ok: true, detail: `${workersText}; built one step FROM scratch${left}` };
}
