// What the scenario files in test/vm/ share: the running Debian 13 VM (scripts/vm/run.ts passes
// it in CRS_VM_STATE), commands in it as root or as `alice` over her ssh login (a real logind
// session), the product as she runs it, and `scenario`, a test that prints the guest's journal
// when it fails.
import { test } from "bun:test";
import { guestRun, rebootGuest, shellQuote, type GuestRun, type VmState } from "../../scripts/vm/qemu.ts";
import { GUEST_UID, GUEST_USER, OCI_IMAGE_REF, PAYLOAD } from "../../scripts/vm/image.ts";

export { GUEST_UID, GUEST_USER, OCI_IMAGE_REF, PAYLOAD, shellQuote };

function vmState(): VmState {
  const text = process.env.CRS_VM_STATE;
  if (!text) throw new Error("no VM: the scenarios in test/vm run through `npm run test:vm` (scripts/vm/run.ts), which boots one");
  return JSON.parse(text) as VmState;
}

const state = vmState();
/** The product where alice's install puts it; before that, the copy on the payload disk. */
export const CRS = `$( [ -x ~/.local/bin/containerd-rootless-systemd ] && echo ~/.local/bin/containerd-rootless-systemd || echo ${PAYLOAD}/containerd-rootless-systemd )`;
/** nerdctl's scripts are on the payload disk (scripts/vm/image.ts found them on this machine). */
export const HAVE_NERDCTL_SCRIPTS = process.env.CRS_VM_NERDCTL === "1";

export const root = (script: string, timeoutMs?: number): GuestRun => guestRun(state, "root", script, timeoutMs);
/** Root lines as `check` prints them for its sudo block, run as that block is: `sh -eux`. */
export const asRoot = (lines: string[], timeoutMs?: number): GuestRun => root(`sh -eux -c ${shellQuote(lines.join("\n"))}`, timeoutMs);
export const alice = (script: string, timeoutMs?: number): GuestRun => guestRun(state, GUEST_USER, script, timeoutMs);

/** QEMU's emulation (TCG) runs the guest 10-25 times slower than the machines the product's waits were made for. */
export const WAIT_FACTOR = 10;
/** Runs the product as alice; `args` is shell text (quoted by the caller where needed). */
export const crs = (args: string, timeoutMs?: number): GuestRun => alice(`CRS_WAIT_FACTOR=${WAIT_FACTOR} ${CRS} ${args}`, timeoutMs);

/** `crs(args)` that must succeed; returns its stdout. */
export function mustCrs(args: string, timeoutMs?: number): string {
  const r = crs(args, timeoutMs);
  if (r.code !== 0) throw new Error(`containerd-rootless-systemd ${args} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A command that must succeed in the guest; returns its stdout. */
export function must(r: GuestRun, what: string): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `ctr` inside rootless containerd's namespace (through the product), as alice. */
export const ctr = (args: string, timeoutMs?: number): GuestRun => crs(`nsenter -- ctr ${args}`, timeoutMs);

/**
 * `ctr run` of the test image as nerdctl runs containers on cgroup v2: with runc's systemd cgroup
 * driver, a scope of the user's manager (ctr's default cgroupfs driver cannot create
 * /sys/fs/cgroup/default as a user). `args` go before the image, `cmd` after the container id.
 */
export const ctrRun = (id: string, args: string, cmd: string, timeoutMs?: number): GuestRun =>
  ctr(`run --runc-systemd-cgroup --cgroup user.slice:crs:${id} ${args} ${OCI_IMAGE_REF} ${id} ${cmd}`, timeoutMs);

/** Polls `cond` in the guest's time until it holds; throws naming `what` when it does not in `timeoutMs`. */
export function waitUntil(what: string, cond: () => boolean, timeoutMs = 120_000, everyMs = 1000): void {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return;
    Bun.sleepSync(everyMs);
  }
  if (!cond()) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** The guest's journal of this boot (system and user units), for a failed scenario. */
export function journal(lines = 150): string {
  const r = root(`journalctl -b --no-pager -o short-monotonic -n ${lines}; echo '--- dmesg (AppArmor)'; dmesg | grep -i apparmor | grep -i denied | tail -n 10`, 60_000);
  return r.stdout || r.stderr;
}

/** A test whose failure prints the guest's journal under the error. */
export function scenario(name: string, fn: () => void | Promise<void>, timeoutMs = 600_000): void {
  test(
    name,
    async () => {
      try {
        await fn();
      } catch (e) {
        console.error(`\n===== the guest's journal after "${name}" failed =====\n${journal()}\n===== end of the journal =====`);
        throw e;
      }
    },
    timeoutMs,
  );
}

/** Reboots the guest and waits for its sshd; returns the seconds it took. */
export const reboot = (): number => rebootGuest(state);
