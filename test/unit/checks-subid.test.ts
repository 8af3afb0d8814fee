import { test, expect, afterEach } from "bun:test";
import { HostError } from "../../src/core/os/host.ts";
import { ok, failed, type TestHost } from "../helpers/test-host.ts";
import { machine, check, byId } from "./checks-fixture.ts";
import { parseSubids, freeStart, overlaps, parseGetsubids } from "../../src/core/checks/subid.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

/** A healthy machine whose /etc/subuid cannot be read (EACCES). */
async function machineWithUnreadableSubuid(): Promise<TestHost> {
  const h = await machine();
  const real = h.readText.bind(h);
  h.readText = async (p) => {
    if (p === "/etc/subuid") throw new HostError("cannot read /etc/subuid: EACCES: permission denied", p, "EACCES");
    return real(p);
  };
  return h;
}

test("no range for the user: error with a free range to add", async () => {
  host = await machine({ files: { "/etc/subuid": "bob:100000:65536\n" } });
  const f = byId(await check(host), "subid.subuid.missing")!;
  expect(f.level).toBe("error");
  expect(f.sudoFix).toEqual(["echo 'alice:196608:65536' >> /etc/subuid"]);
});

test("too small a range", async () => {
  host = await machine({ files: { "/etc/subgid": "alice:100000:1000\n" } });
  const f = byId(await check(host), "subid.subgid.too-small")!;
  expect(f.level).toBe("error");
  expect(f.message).toContain("only 1000");
});

test("a range given by uid counts", async () => {
  host = await machine({ files: { "/etc/subuid": "1000:100000:65536\n" } });
  expect(byId(await check(host), "subid.subuid")?.level).toBe("ok");
});

test("two small ranges add up", async () => {
  host = await machine({ files: { "/etc/subuid": "alice:100000:32768\nalice:300000:32768\n" } });
  expect(byId(await check(host), "subid.subuid")?.level).toBe("ok");
});

test("malformed lines are a warning that names them, never an exception", async () => {
  host = await machine({ files: { "/etc/subuid": "garbage\nalice:100000:65536\n:::\nbob:x:y\n\u0000\u00ff\ncarol:1:0\n" } });
  const r = await check(host);
  const f = byId(r, "subid.subuid.malformed")!;
  expect(f.level).toBe("warning");
  expect(f.message).toContain("5 malformed");
  expect(f.detail).toContain("line 1");
  expect(byId(r, "subid.subuid")?.level).toBe("ok");
});

test("overlapping ranges: warning when the user is involved, info between others", async () => {
  host = await machine({ files: { "/etc/subuid": "alice:100000:65536\nbob:150000:65536\ncarol:400000:65536\ndave:410000:10\n" } });
  const found = (await check(host)).findings.filter((f) => f.id === "subid.subuid.overlap");
  expect(found.map((f) => f.level).sort()).toEqual(["info", "warning"]);
  expect(found.find((f) => f.level === "warning")!.message).toContain("bob");
});

test("an unreadable /etc/subuid becomes a finding", async () => {
  host = await machineWithUnreadableSubuid();
  const r = await check(host);
  expect(byId(r, "subid.subuid.unreadable")?.level).toBe("error");
  expect(byId(r, "subid.subuid.unreadable")?.message).toContain("permission denied");
  expect(byId(r, "subid.subuid.missing")?.level).toBe("error");
});

const NSS_SUBID = { "/etc/nsswitch.conf": "passwd: files\nsubid: sss\n" };

test("getsubids is used when NSS has a subid source: ranges from NSS satisfy an empty file", async () => {
  const getsubids = (argv: string[]) => ok(`0: ${argv.at(-1)} 200000 65536\n`);
  host = await machine({ files: { ...NSS_SUBID, "/etc/subuid": "", "/etc/subgid": "" }, commands: { getsubids, "/usr/bin/getsubids": getsubids } });
  const r = await check(host);
  expect(byId(r, "subid.subuid")?.message).toContain("getsubids");
  expect(byId(r, "subid.subgid")?.level).toBe("ok");
  expect(host.calls.some((c) => c[0]!.endsWith("getsubids") && c[1] === "-g" && c[2] === "alice")).toBe(true);
});

test("getsubids failing falls back to the file", async () => {
  const getsubids = () => failed("Error fetching ranges");
  host = await machine({ files: NSS_SUBID, commands: { getsubids, "/usr/bin/getsubids": getsubids } });
  expect(byId(await check(host), "subid.subuid")?.level).toBe("ok");
});

test("without a subid line in nsswitch.conf getsubids would read the same files: it is not run", async () => {
  const getsubids = (argv: string[]) => ok(`0: ${argv.at(-1)} 200000 65536\n`);
  host = await machine({ files: { "/etc/nsswitch.conf": "passwd: files systemd\ngroup: files\n" }, commands: { getsubids, "/usr/bin/getsubids": getsubids } });
  expect(byId(await check(host), "subid.subuid")?.message).toContain("(/etc/subuid)");
  expect(host.calls.some((c) => c[0]!.endsWith("getsubids"))).toBe(false);
});

test("parsers", () => {
  expect(parseSubids("a:1:2\n# c\n\nb:x:1").malformed).toHaveLength(1);
  expect(freeStart([{ owner: "a", start: 100000, count: 65536, line: 1 }])).toBe(196608);
  expect(freeStart([])).toBe(100000);
  expect(overlaps(parseSubids("a:0:10\na:5:10\n").ranges)).toEqual([]);
  expect(parseGetsubids("0: alice 100000 65536\n1: alice 300000 10\n")).toEqual([{ start: 100000, count: 65536 }, { start: 300000, count: 10 }]);
});

test("a file without a final newline: the root lines end the last line first, so no other user's range is damaged", async () => {
  host = await machine({ files: { "/etc/subuid": "bob:100000:65536" } });
  const f = byId(await check(host), "subid.subuid.missing")!;
  expect(f.sudoFix).toEqual(["echo >> /etc/subuid", "echo 'alice:196608:65536' >> /etc/subuid"]);
});

test("an unreadable file: no guessed range to append (it could overlap ranges we cannot see)", async () => {
  host = await machineWithUnreadableSubuid();
  const r = await check(host);
  expect(byId(r, "subid.subuid.missing")?.sudoFix).toBeUndefined();
  expect(byId(r, "subid.subuid.missing")?.fix).toContain("check again");
  expect(byId(r, "subid.subuid.unreadable")?.sudoFix).toEqual(["chmod 644 /etc/subuid"]);
});

test("systemd-homed user (uid 60001-60513): ranges below 524288 are flagged, the offered range starts at 524288", async () => {
  const passwd = "alice:x:60100:60100::/home/alice:/bin/bash\n";
  host = await machine({ uid: 60100, files: { "/etc/passwd": passwd, "/etc/subuid": "alice:100000:65536\n", "/etc/subgid": "bob:100000:65536\n" } });
  const r = await check(host);
  const low = byId(r, "subid.subuid.homed-range")!;
  expect(low.level).toBe("warning");
  expect(low.message).toContain("524288");
  expect(byId(r, "subid.subgid.missing")!.sudoFix).toEqual(["echo 'alice:524288:65536' >> /etc/subgid"]);
  expect(freeStart([], 524288)).toBe(524288);
});

test("the user listed by name and by uid over the same ids is not an overlap between users", async () => {
  host = await machine({ files: { "/etc/subuid": "alice:100000:65536\n1000:100000:65536\n" } });
  const r = await check(host);
  expect(r.findings.filter((f) => f.id === "subid.subuid.overlap")).toEqual([]);
  expect(byId(r, "subid.subuid")?.level).toBe("ok");
});
