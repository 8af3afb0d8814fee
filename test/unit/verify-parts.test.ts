// verify's pure parts: the DNS wire format, the throwaway image's tar and OCI layout, what the
// agent reads from /proc, the registry argument, the removal script, ICMP packets, and how a
// report counts its probes.
import { test, expect } from "bun:test";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dnsQuery, dnsId, parseDnsReply } from "../../src/core/verify/dns-wire.ts";
import { ociArchive, tar } from "../../src/core/verify/image.ts";
import { defaultRoute, ownCgroup, rootFsType } from "../../src/core/verify/agent.ts";
import { parseRegistry } from "../../src/core/verify/probes/registry.ts";
import { inSubnet } from "../../src/core/verify/probes/network.ts";
import { removalScript } from "../../src/core/verify/leftovers.ts";
import { checksum, echoRequest, isEchoReply } from "../../src/core/os/icmp.ts";
import { grpcRequest } from "../../src/core/os/grpc.ts";
import { concat, field, num, repeatedField, varint } from "../../src/core/os/protobuf-wire.ts";
import { statusWord, summaryText } from "../../src/core/verify/report.ts";
import { isProblem, type ProbeOutcome, type VerifyReport } from "../../src/core/verify/outcome.ts";
import type { StackFacts } from "../../src/core/verify/facts.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";

test("a DNS question for A records, and an answer read back with a compressed name", () => {
  const q = dnsQuery("vm.example.", 0x1234);
  expect(dnsId(q)).toBe(0x1234);
  expect([...q.subarray(2, 6)]).toEqual([0x01, 0x00, 0, 1]); // RD, one question
  expect(new TextDecoder().decode(q.subarray(12, 24))).toBe("\x02vm\x07example\x00");
  // the answer: the question echoed, then vm.example A 192.0.2.7 named by a pointer to offset 12
  const answer = new Uint8Array([...q]);
  answer[2] = 0x81;
  answer[3] = 0x80;
  answer[7] = 1;
  const rr = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7];
  expect(parseDnsReply(new Uint8Array([...answer, ...rr]))).toEqual({ rcode: "NOERROR", addresses: ["192.0.2.7"] });
  const nx = new Uint8Array([...q]);
  nx[2] = 0x81;
  nx[3] = 0x83;
  expect(parseDnsReply(nx)).toEqual({ rcode: "NXDOMAIN", addresses: [] });
  expect(parseDnsReply(q)).toBeNull(); // a question is not an answer
});

test("the throwaway image: a tar GNU tar reads (mount points and the host's links), in an OCI layout whose digests hold", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crs-verify-"));
  try {
    const layer = tar([{ name: "usr" }, { name: "bin", link: "usr/bin" }, { name: "proc" }]);
    writeFileSync(join(dir, "layer.tar"), layer);
    const listed = Bun.spawnSync(["tar", "-tvf", join(dir, "layer.tar")]).stdout.toString();
    expect(listed).toMatch(/^d.* usr\/$/m);
    expect(listed).toMatch(/^l.* bin -> usr\/bin$/m);
    const archive = ociArchive("crs-verify.invalid/rootfs:1", layer, "x64");
    writeFileSync(join(dir, "image.tar"), archive);
    expect(Bun.spawnSync(["tar", "-xf", join(dir, "image.tar"), "-C", dir]).exitCode).toBe(0);
    const index = JSON.parse(await Bun.file(join(dir, "index.json")).text());
    expect(index.manifests[0].annotations["io.containerd.image.name"]).toBe("crs-verify.invalid/rootfs:1");
    const digest = index.manifests[0].digest.slice("sha256:".length);
    const manifestBytes = await Bun.file(join(dir, "blobs/sha256", digest)).bytes();
    expect(new Bun.CryptoHasher("sha256").update(manifestBytes).digest("hex")).toBe(digest);
    const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
    const config = JSON.parse(await Bun.file(join(dir, "blobs/sha256", manifest.config.digest.slice(7))).text());
    expect(config.architecture).toBe("amd64");
    expect(config.rootfs.diff_ids).toEqual([manifest.layers[0].digest]); // an uncompressed layer: its digest is its diff id
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the agent reads the default route from /proc/net/route and the root's type from mountinfo", () => {
  const route = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\ntap0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\ntap0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
  expect(defaultRoute(route)).toEqual({ iface: "tap0", gateway: "10.0.2.2" });
  expect(defaultRoute("Iface\tDestination\n")).toBeNull();
  const mountinfo = ["1 0 0:1 / / rw - overlay overlay rw,lowerdir=/a", "2 1 0:2 / /proc rw - proc proc rw", "3 1 0:3 / / rw - fuse.fuse-overlayfs fuse-overlayfs rw"].join("\n");
  expect(rootFsType(mountinfo)).toBe("fuse.fuse-overlayfs");
});

test("--registry takes HOST:PORT only", () => {
  expect(parseRegistry("127.0.0.1:5000")).toEqual({ host: "127.0.0.1", port: 5000 });
  expect(parseRegistry("[::1]:5000")).toEqual({ host: "[::1]", port: 5000 });
  expect(parseRegistry("registry.example.com:443")).toEqual({ host: "registry.example.com", port: 443 });
  for (const bad of ["127.0.0.1", "http://127.0.0.1:5000", "127.0.0.1:0", "127.0.0.1:70000", "a b:1"]) expect(parseRegistry(bad)).toBeNull();
});

test("the removal: leftover containers (when ctr could not remove them), the image with its snapshots, then the namespace", () => {
  const facts = { ctr: "/usr/bin/ctr" } as StackFacts;
  const paths = resolvePaths({ HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000" }, 1000);
  const all = removalScript(facts, paths, { namespace: "crs-verify-42", image: "crs-verify.invalid/rootfs:42" });
  expect(all).toContain("containers ls -q");
  expect(all).toContain("tasks kill -s SIGKILL");
  expect(all).toContain("tasks delete \"$c\"");
  expect(all).toMatch(/-n crs-verify-42 images rm --sync crs-verify\.invalid\/rootfs:42/);
  expect(all).toMatch(/namespaces rm crs-verify-42 >\/dev\/null$/);
  expect(removalScript(facts, paths, { namespace: "crs-verify-42", image: "x" }, false)).not.toContain("containers ls");
});

test("an ICMP echo request carries a valid checksum; a raw socket's reply is matched by identifier", () => {
  const req = echoRequest(0xbeef);
  expect(req[0]).toBe(8);
  expect(checksum(req)).toBe(0); // a packet with its checksum in place sums to zero
  const reply = new Uint8Array([0x45, ...new Array(19).fill(0), 0, 0, 0, 0, 0xbe, 0xef, 0, 1]);
  expect(isEchoReply(reply, 0xbeef, true)).toBe(true);
  expect(isEchoReply(reply, 0x1234, true)).toBe(false);
  expect(isEchoReply(reply.subarray(20), 0x1234, false)).toBe(true); // a ping socket: the kernel matched it for us
});

test("a report: only failures that should not happen count against it; the summary says what was left", () => {
  const probe = (o: Partial<ProbeOutcome>): ProbeOutcome => ({ id: "x", title: "X", status: "pass", expected: true, message: "", evidence: [], ms: 1, ...o });
  const probes = [probe({}), probe({ status: "fail", expected: false }), probe({ status: "n/a", expected: false }), probe({ status: "fail" })];
  expect(probes.map(statusWord)).toEqual(["pass", "off", "n/a", "FAIL"]);
  expect(probes.filter(isProblem)).toHaveLength(1);
  const report: VerifyReport = { command: "verify", ok: false, probes, phases: { facts: 1, image: 2, container: 3, probes: 4, cleanup: 5 }, cleanup: { removed: ["x"], kept: [], problems: [] }, ms: 1500 };
  expect(summaryText(report)).toBe("Containers do NOT fully work: 4 probes in 1.50 s, 1 passed, 1 failed, 1 off by a setting, 1 not applicable; nothing left behind.");
});

test("an address inside a container's network (a --cidr that overlaps the host's)", () => {
  expect(inSubnet("192.0.2.2", "192.0.2.100/24")).toBe(true);
  expect(inSubnet("192.0.2.2", "10.0.2.100/24")).toBe(false);
  expect(inSubnet("10.0.3.1", "10.0.2.100/23")).toBe(true);
  expect(inSubnet("fd00::2", "10.0.2.100/24")).toBe(false);
});

test("a gRPC request carries its message length-prefixed; verify's protobuf fields (negative int64 as ten bytes)", () => {
  const req = grpcRequest("/containerd.services.images.v1.Images/Delete", { message: new Uint8Array([0x0a, 1, 0x78]), metadata: { "containerd-namespace": "crs-verify-1" } });
  expect([...req.subarray(req.length - 8)]).toEqual([0, 0, 0, 0, 3, 0x0a, 1, 0x78]); // uncompressed, length 3, the message
  expect(varint(-1)).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
  expect(repeatedField(concat([field(1, "a"), num(2, 5), field(1, "bc")]), 1).map((b) => new TextDecoder().decode(b))).toEqual(["a", "bc"]);
});

test("the agent finds its own cgroup v2 from /proc/self/cgroup (verify binds the host's /sys/fs/cgroup in: the whole tree)", () => {
  expect(ownCgroup("0::/user.slice/user-1000.slice/user@1000.service/user.slice/crs-verify-1234-limits.scope\n")).toBe("/user.slice/user-1000.slice/user@1000.service/user.slice/crs-verify-1234-limits.scope");
  expect(ownCgroup("12:memory:/x\n0::/\n")).toBe("/");
  expect(ownCgroup("12:memory:/x\n")).toBeNull(); // cgroup v1 only
  expect(ownCgroup(null)).toBeNull();
});
