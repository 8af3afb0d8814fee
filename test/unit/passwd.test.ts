// The user-name look-up (host.userName): from /etc/passwd with no process when NSS reads that
// file first, from `getent passwd UID` otherwise (LDAP, SSSD: only NSS knows them).
import { afterEach, expect, test } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { passwdFilesFirst, passwdName } from "../../src/core/os/passwd.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

const PASSWD = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n";
const getent = () => ok("alice-from-ldap:*:1000:1000::/home/alice:/bin/bash\n");
const getentCalls = (h: TestHost) => h.calls.filter((c) => c[0] === "getent");

test("nsswitch.conf's passwd line: files first (comments ignored), or not", () => {
  expect(passwdFilesFirst("# passwd: sss\npasswd:         files systemd\ngroup: files\n")).toBe(true);
  expect(passwdFilesFirst("passwd: sss files\n")).toBe(false);
  expect(passwdFilesFirst("passwd: compat\n")).toBe(false);
  expect(passwdFilesFirst("group: files\n")).toBe(false);
  expect(passwdFilesFirst(null)).toBe(false);
  expect(passwdName(PASSWD, 1000)).toBe("alice");
  expect(passwdName(PASSWD, 1001)).toBeUndefined();
});

test("NSS reads /etc/passwd first and the uid is there: its name, with no getent process", async () => {
  host = await makeTestHost({ files: { "/etc/nsswitch.conf": "passwd: files systemd\n", "/etc/passwd": PASSWD }, commands: { getent } });
  expect(await host.userName()).toBe("alice");
  expect(getentCalls(host)).toEqual([]);
});

test("another source first, or the uid not in /etc/passwd: NSS is asked (getent)", async () => {
  host = await makeTestHost({ files: { "/etc/nsswitch.conf": "passwd: sss files\n", "/etc/passwd": PASSWD }, commands: { getent } });
  expect(await host.userName()).toBe("alice-from-ldap");
  expect(getentCalls(host)).toHaveLength(1);
  await host.cleanup();
  host = await makeTestHost({ files: { "/etc/nsswitch.conf": "passwd: files sss\n", "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" }, commands: { getent } });
  expect(await host.userName()).toBe("alice-from-ldap");
  expect(getentCalls(host)).toHaveLength(1);
});
