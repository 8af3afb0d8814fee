// Completion in a real bash (with Debian's bash-completion) in a tmux terminal: the script
// `completion bash` prints, asking the compiled binary for candidates on each TAB.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BINARY } from "../helpers/e2e.ts";
import { Terminal } from "../ui/tmux.ts";

let tmp: string;
let term: Terminal;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "crs-completion-"));
  const script = Bun.spawnSync([BINARY, "completion", "bash"], { stdout: "pipe" });
  expect(script.exitCode).toBe(0);
  writeFileSync(join(tmp, "completion.bash"), script.stdout);
  writeFileSync(join(tmp, "bashrc"), `PS1='$ '\nbind 'set show-all-if-ambiguous on'\n. /usr/share/bash-completion/bash_completion\n. ${join(tmp, "completion.bash")}\n`);
  term = Terminal.start(`crs-completion-${process.pid}`, ["bash", "--noprofile", "--rcfile", join(tmp, "bashrc"), "-i"], {
    cols: 160,
    rows: 20,
    env: { HOME: tmp, PATH: `${dirname(BINARY)}:${process.env.PATH}`, TERM: "xterm" },
  });
  await term.waitFor((s) => s.trimStart().startsWith("$"));
});
afterAll(() => {
  term?.kill();
  rmSync(tmp, { recursive: true, force: true });
});

/** Types `line`, presses TAB twice, returns the screen below the prompt; clears the line after. */
async function complete(line: string, expectText: string | RegExp): Promise<string> {
  term.type(`clear\n`);
  await term.waitFor((s) => s.trim() === "$");
  term.type(line);
  // show-all-if-ambiguous (in the rc file): one TAB inserts the common prefix and lists the candidates
  term.keys("Tab");
  try {
    return await term.waitFor(expectText, 20_000);
  } finally {
    term.keys("C-u");
  }
}

test("ins<TAB> completes to install and lists the install commands", async () => {
  const screen = await complete("containerd-rootless-systemd ins", /install-buildkit/);
  expect(screen).toMatch(/\binstall\b/);
  expect(screen).toContain("install-stargz");
  expect(screen).not.toContain("uninstall");
  expect(screen).toContain("$ containerd-rootless-systemd install");
});

test("an add-on name after `install `", async () => {
  const screen = await complete("containerd-rootless-systemd install ", /stargz/);
  for (const id of ["buildkit", "fuse-overlayfs", "stargz", "bypass4netns"]) expect(screen).toContain(id);
  // a unique match is completed with a space after it (the X typed next lands after the space)
  term.type("clear\n");
  await term.waitFor((s) => s.trim() === "$");
  term.type("containerd-rootless-systemd install build");
  term.keys("Tab");
  term.type("X");
  await term.waitFor("install buildkit X", 20_000);
  term.keys("C-u");
});

test("a value after `configure --port-driver `", async () => {
  const screen = await complete("containerd-rootless-systemd configure --port-driver ", /slirp4netns/);
  for (const v of ["builtin", "slirp4netns", "implicit", "none"]) expect(screen).toContain(v);
  expect(screen).not.toContain("--mtu");
});
