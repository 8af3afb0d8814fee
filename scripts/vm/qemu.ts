// One running Debian 13 VM under QEMU (TCG: software emulation, no KVM needed; `-cpu max`
// because the product's Bun runtime needs AVX2/BMI2, which QEMU's default qemu64 lacks),
// and commands in it over ssh: QEMU's user networking with restrict=on (no way out of the
// guest) and one forward from the host's loopback to the guest's sshd. A login over ssh is a
// real logind session (pam_systemd sets XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS).
// Connections are multiplexed (one ssh master per user), so a scenario's many commands cost
// one handshake. The system disk is opened with snapshot=on: the guest's writes go to a
// temporary overlay that lives as long as QEMU (guest reboots included) and never reach it.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { SystemDisk } from "./image.ts";

export interface GuestRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** What the test files need to reach a running VM (passed to them as CRS_VM_STATE, JSON). */
export interface VmState {
  dir: string;
  port: number;
  key: string;
  serial: string;
}

const sleep = (ms: number) => Bun.sleepSync(ms);

/** The ssh command line for `user` on the VM of `state` (with its connection master). */
export function sshArgv(state: VmState, user: string): string[] {
  return [
    "ssh", "-i", state.key, "-p", String(state.port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=8", "-o", "BatchMode=yes",
    "-o", "ControlMaster=auto", "-o", `ControlPath=${join(state.dir, `ssh-${user}.sock`)}`, "-o", "ControlPersist=600",
    `${user}@127.0.0.1`,
  ];
}

/** Runs `script` with bash in the guest as `user`. The script goes as an argument: stdin stays empty (`ctr run` would read it). */
export function guestRun(state: VmState, user: string, script: string, timeoutMs = 300_000): GuestRun {
  const p = Bun.spawnSync([...sshArgv(state, user), "bash", "-c", shellQuote(script)], { stdin: "ignore", timeout: timeoutMs });
  return { code: p.exitCode ?? 124, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Ends the multiplexed connections (before a reboot, or at the end). */
export function closeMasters(state: VmState): void {
  for (const user of ["root", "alice"]) {
    if (existsSync(join(state.dir, `ssh-${user}.sock`))) Bun.spawnSync([...sshArgv(state, user).slice(0, -1), "-O", "exit", `${user}@127.0.0.1`], { stdio: ["ignore", "ignore", "ignore"] });
  }
}

export function serialTail(state: VmState, lines = 40): string {
  return existsSync(state.serial) ? readFileSync(state.serial, "utf8").split("\n").slice(-lines).join("\n") : "(no console log)";
}

const bootId = (state: VmState): string | null => {
  const r = guestRun(state, "root", "cat /proc/sys/kernel/random/boot_id", 30_000);
  return r.code === 0 ? r.stdout.trim() : null;
};

/** Waits until root can log in to a boot other than `previous` (null: any); returns that boot's id. */
export function waitForBoot(state: VmState, previous: string | null, timeoutMs = 600_000, alive: () => boolean = () => true): string {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!alive()) throw new Error(`QEMU is not running; its console:\n${serialTail(state)}`);
    const id = bootId(state);
    if (id !== null && id !== previous) return id;
    if (id === null) closeMasters(state); // a master of the boot before may linger
    sleep(2000);
  }
  throw new Error(`no ssh into a new boot after ${timeoutMs / 1000} s; the console:\n${serialTail(state)}`);
}

/** Reboots the guest and waits until it answers again; returns the seconds it took. */
export function rebootGuest(state: VmState, timeoutMs = 900_000): number {
  const started = performance.now();
  const before = bootId(state);
  if (before === null) throw new Error("the guest does not answer before the reboot");
  guestRun(state, "root", "systemctl reboot", 20_000);
  closeMasters(state);
  waitForBoot(state, before, timeoutMs);
  return (performance.now() - started) / 1000;
}

/** A free TCP port on the host's loopback for the ssh forward. */
function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

export class Vm {
  readonly state: VmState;
  private readonly pidFile: string;

  constructor(
    private readonly system: SystemDisk,
    private readonly payload: string,
    runDir: string,
  ) {
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    this.state = { dir: runDir, port: freePort(), key: system.key, serial: join(runDir, "serial.log") };
    this.pidFile = join(runDir, "qemu.pid");
  }

  pid(): number | null {
    if (!existsSync(this.pidFile)) return null;
    const pid = Number(readFileSync(this.pidFile, "utf8").trim());
    return pid > 0 && Bun.spawnSync(["kill", "-0", String(pid)]).exitCode === 0 ? pid : null;
  }

  /** Boots the VM in the background; returns the seconds until sshd answered. */
  start(timeoutMs = 600_000): number {
    const started = performance.now();
    const argv = [
      "qemu-system-x86_64", "-name", "crs-trixie", "-accel", "tcg,thread=multi", "-cpu", "max", "-m", process.env.CRS_VM_MEM ?? "3072", "-smp", "2",
      "-nodefaults", "-display", "none", "-kernel", this.system.kernel, "-initrd", this.system.initrd,
      "-append", "root=/dev/vda rw console=ttyS0 panic=-1",
      "-drive", `file=${this.system.disk},format=raw,if=virtio,cache=unsafe,snapshot=on`,
      "-drive", `file=${this.payload},format=raw,if=virtio,readonly=on`,
      "-nic", `user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:${this.state.port}-:22`,
      "-device", "virtio-rng-pci", "-serial", `file:${this.state.serial}`, "-pidfile", this.pidFile, "-daemonize",
    ];
    const p = Bun.spawnSync(argv, { stdio: ["ignore", "inherit", "inherit"] });
    if (p.exitCode !== 0) throw new Error(`qemu-system-x86_64 failed to start (exit ${p.exitCode})`);
    this.waitSsh(timeoutMs);
    return (performance.now() - started) / 1000;
  }

  /** Waits until the guest's sshd lets root in. */
  waitSsh(timeoutMs = 600_000): void {
    waitForBoot(this.state, null, timeoutMs, () => this.pid() !== null);
  }

  /** Powers the guest off; kills QEMU (by its own pid file) when it has not exited within `graceMs`. */
  stop(graceMs = 60_000): void {
    const pid = this.pid();
    if (pid === null) return;
    guestRun(this.state, "root", "systemctl poweroff", 20_000);
    closeMasters(this.state);
    const deadline = performance.now() + graceMs;
    while (performance.now() < deadline && this.pid() !== null) sleep(500);
    if (this.pid() !== null) {
      process.kill(pid, "SIGKILL");
      while (this.pid() !== null) sleep(100);
    }
  }
}
