// Drop-in lines systemd cannot read (conf-parser.c, load-fragment.c config_parse_environ):
// install and configure refuse them, naming the file and line, and change nothing.
import { afterEach, expect, test } from "bun:test";
import { type TestHost } from "../helpers/test-host.ts";
import { fakeSystemd } from "../helpers/fake-systemd.ts";
import { dropInProblems } from "../../src/core/systemd/dropin-syntax.ts";
import { planConfigure } from "../../src/core/rootlesskit/configure.ts";
import type { UserError } from "../../src/core/os/errors.ts";

const OVERRIDE = "/home/alice/.config/systemd/user/containerd.service.d/override.conf";
let host: TestHost;
afterEach(() => host?.cleanup());

test("a readable drop-in has no problems: comments, continuations, quotes, escapes, an empty Environment=", () => {
  const text = '# mine\n[Service]\nEnvironment=A="x y" B=\'z\' C=\\x41\nEnvironment=\n; note\nEnvironment=D=1 \\\n  E=2\n[Unit]\nDescription=x\n';
  expect(dropInProblems({ path: OVERRIDE, text })).toEqual([]);
});

test("an unterminated quote, a line without =, an assignment before any section, a bad header: each named with its line", () => {
  const text = 'Environment=A=1\n[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400\n# ok\ngarbage here\n[Service\n';
  const p = dropInProblems({ path: OVERRIDE, text });
  expect(p.map((x) => [x.line, x.text])).toEqual([
    [1, "Environment=A=1"],
    [3, 'Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400'],
    [5, "garbage here"],
    [6, "[Service"],
  ]);
  expect(p[0]!.why).toContain("outside of any section");
  expect(p[1]!.why).toContain("an unterminated quote");
  expect(p[2]!.why).toContain("no `=`");
  expect(p[3]!.why).toContain("invalid section header");
});

test("configure refuses a broken override.conf with the file, the line and the fix; the file is untouched", async () => {
  const broken = '[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400\n';
  const f = await fakeSystemd({ files: { [OVERRIDE]: broken } });
  host = f.h;
  const err = (await planConfigure(host, f.paths, { set: { mtu: "1500" }, reset: [] }).catch((e) => e)) as UserError;
  expect(err.message).toContain(`${OVERRIDE}, line 2: `);
  expect(err.message).toContain("nothing was changed");
  expect(err.fix).toContain(`Fix or remove that line (\`$EDITOR ${OVERRIDE}\`)`);
  expect(await host.readText(OVERRIDE)).toBe(broken);
  expect(f.verbs).toEqual([]);
});
