// A healthy Debian-like machine on a TestHost, for the check probes' unit tests. Each test
// breaks one thing (replace or remove a file, a command or a variable) and looks at findings.
// Files are created by root here, so owner-based cases (setuid root, a runtime dir owned by the
// user) need the tests to run as root, as they do in CI.
import { chown } from "node:fs/promises";
import { join } from "node:path";
import { makeTestHost, ok, type Handler, type TestHost } from "../helpers/test-host.ts";
import { rootlesskitHandler, rootlesskitHelp } from "../helpers/rootlesskit-help.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { runChecks, type CheckResult } from "../../src/core/checks/index.ts";
import type { Finding } from "../../src/core/checks/findings.ts";
import type { Env } from "../../src/core/os/host.ts";

type FileSpec = string | { content: string; mode?: number };

/** what the RootlessKit run prints when it and its overlay mount work: nothing (exit 0) */
export const SMOKE_STDOUT = "";

export function baseFiles(): Record<string, FileSpec> {
  return {
    "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\n",
    "/etc/subuid": "alice:100000:65536\nbob:165536:65536\n",
    "/etc/subgid": "alice:100000:65536\nbob:165536:65536\n",
    "/etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
    "/proc/sys/kernel/osrelease": "6.1.0-18-amd64\n",
    "/proc/version": "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)\n",
    "/proc/sys/user/max_user_namespaces": "63431\n",
    "/proc/sys/kernel/unprivileged_userns_clone": "1\n",
    "/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
    "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers": "cpuset cpu io memory pids\n",
    "/run/user/1000/bus": "",
    "/run/user/1000/systemd/private": "",
    "/var/lib/systemd/linger/alice": "",
    "/usr/bin/newuidmap": { content: "elf", mode: 0o4755 },
    "/usr/bin/newgidmap": { content: "elf", mode: 0o4755 },
    "/usr/lib/systemd/user/dbus.socket": "[Socket]\n",
  };
}

/** slirp4netns answering --version with `version`; >= 0.4.0 lists --netns-type in --help (as nerdctl's script tests). */
export function slirp4netns(version: string): Handler {
  const modern = Bun.semver.order(version, "0.4.0") >= 0;
  return (argv) => (argv[1] === "--help" ? ok(`Usage: slirp4netns [OPTION]... PID|PATH [TAPNAME]\n${modern ? "--netns-type=TYPE \t specify network namespace type ([path|pid], default=pid)\n" : ""}`) : ok(`slirp4netns version ${version}\ncommit: 656041d\n`));
}

export function baseCommands(): Record<string, Handler> {
  return {
    rootlesskit: rootlesskitHandler(rootlesskitHelp("1.1.0"), SMOKE_STDOUT),
    containerd: () => ok("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1\n"),
    runc: () => ok("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1\nspec: 1.0.2-dev\n"),
    slirp4netns: slirp4netns("1.2.0"),
    newuidmap: () => ok(),
    newgidmap: () => ok(),
    nsenter: () => ok(),
    ip: () => ok(), // iproute2: RootlessKit runs it for every network driver but host
    mount: () => ok(),
    systemctl: (argv) => (argv.includes("ControlGroup") ? ok("/user.slice/user-1000.slice/user@1000.service\n") : ok("HOME=/home/alice\nXDG_RUNTIME_DIR=/run/user/1000\n")),
  };
}

export interface Breakage {
  /** replace or add files; null removes a base file */
  files?: Record<string, FileSpec | null>;
  commands?: Record<string, Handler | null>;
  env?: Record<string, string | undefined>;
  dirs?: string[];
  uid?: number;
}

export const BASE_ENV: Env = { HOME: "/home/alice", USER: "alice", XDG_RUNTIME_DIR: "/run/user/1000", PATH: "/usr/bin:/bin" };

export async function machine(b: Breakage = {}): Promise<TestHost> {
  const files: Record<string, FileSpec> = {};
  for (const [k, v] of Object.entries({ ...baseFiles(), ...b.files })) if (v !== null) files[k] = v;
  const commands: Record<string, Handler> = {};
  // TestHost.which answers /usr/bin/NAME for a handler keyed NAME, but run() does not map that
  // path back to NAME; register both so probes can run what they found.
  for (const [k, v] of Object.entries({ ...baseCommands(), ...b.commands })) {
    if (v === null) continue;
    commands[k] = v;
    if (!k.includes("/")) commands[`/usr/bin/${k}`] = v;
  }
  const env: Record<string, string | undefined> = { ...BASE_ENV, ...b.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const host = await makeTestHost({ files, commands, env, uid: b.uid ?? 1000, dirs: ["/run/systemd/system", "/home/alice", "/run/user/1000", ...(b.dirs ?? [])] });
  // the runtime dir belongs to the user, as logind makes it
  await chown(join(host.root, "/run/user/1000"), 1000, 1000).catch(() => {});
  return host;
}

export async function check(host: TestHost): Promise<CheckResult> {
  return runChecks(host, resolvePaths(host.env, host.uid));
}

export function byId(r: CheckResult, id: string): Finding | undefined {
  return r.findings.find((f) => f.id === id);
}

export function problems(r: CheckResult): string[] {
  return r.findings.filter((f) => f.level === "warning" || f.level === "error").map((f) => f.id);
}

/** The healthy machine, but its RootlessKit smoke test (anything other than --version) only answers once `release` is called. */
export async function machineWithHeldSmoke(): Promise<{ host: TestHost; release: () => void }> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const rk = baseCommands().rootlesskit!;
  const host = await machine({ commands: { rootlesskit: async (argv, o) => (argv[1] === "--version" ? rk(argv, o) : (await gate, ok(SMOKE_STDOUT))) } });
  return { host, release };
}
