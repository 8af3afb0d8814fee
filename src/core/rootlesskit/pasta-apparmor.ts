// pasta under AppArmor (Debian 13's passt package: /etc/apparmor.d/usr.bin.pasta with
// abstractions/pasta, in enforce mode). Seen in a Debian 13 VM with RootlessKit 2.0.2 and
// passt 0.0~git20250503 (test/vm/network.test.ts):
// - with detach-netns, pasta must open RootlessKit's detached netns through
//   /proc/CHILD/root$STATE_DIR/netns; the child's --copy-up=/run has moved the original /run to
//   /run/.roNNNN by then, so the path is /run/.roNNNN/user/UID/containerd-rootless/netns, outside
//   the profile's `@{run}/user/@{uid}/** rw`: apparmor="DENIED" operation="open" profile="pasta",
//   pasta exits (a zombie), tap0 has no carrier, and containers have no network;
// - RootlessKit (whose own profile labels it "rootlesskit") stops pasta with SIGKILL, which the
//   pasta profile does not let it receive: apparmor="DENIED" operation="signal" ... peer="rootlesskit";
//   RootlessKit then waits for pasta for good, and with the unit's TimeoutSec=0 every stop or
//   restart of containerd.service hangs (until something unconfined signals pasta).
// A state dir under /tmp (which the profile allows) avoids the first but not the second. So a
// confined pasta is refused unless its profile has both rules, and the refusal gives them.
import { UserError } from "../os/errors.ts";
import type { Host } from "../os/host.ts";

export const PASTA_PROFILE = "/etc/apparmor.d/usr.bin.pasta";
/** The two rules, inside the profile: the copied-up /run, and RootlessKit's signals. */
export const PASTA_RULES = ["@{run}/.ro*/user/@{uid}/** rw,", "signal (receive) peer=rootlesskit,"];

export interface PastaApparmor {
  profile: string;
  /** the profile lets pasta open netns files under RootlessKit's copied-up /run (/run/.roNNNN/...) */
  allowsCopiedUpRun: boolean;
  /** the profile lets pasta receive RootlessKit's signals (its stop) */
  allowsRootlessKitSignal: boolean;
}

/** AppArmor on and a profile for pasta in /etc/apparmor.d: what it allows of what RootlessKit needs; null when pasta is not confined. */
export async function probePastaApparmor(host: Host): Promise<PastaApparmor | null> {
  const enabled = (await host.readText("/sys/module/apparmor/parameters/enabled").catch(() => null))?.trim();
  if (enabled !== "Y") return null;
  const text = await host.readText(PASTA_PROFILE).catch(() => null);
  if (text === null) return null;
  const local = (await host.readText("/etc/apparmor.d/local/usr.bin.pasta").catch(() => null)) ?? "";
  const rules = `${text}\n${local}`.split("\n").map((l) => l.replace(/#.*/, "").trim());
  return {
    profile: PASTA_PROFILE,
    allowsCopiedUpRun: rules.some((r) => /\/\.ro\S*\s+\w*r\w*,$/.test(r)),
    allowsRootlessKitSignal: rules.some((r) => /^signal\b/.test(r) && (!/peer=/.test(r) || /peer="?\(?rootlesskit\b/.test(r)) && (!/\([^)]*\)/.test(r.split("peer=")[0]!) || /receive/.test(r))),
  };
}

/** The root lines that add the missing rules at the end of the profile and reload it (idempotent). */
export function pastaProfileFix(): string[] {
  return [
    `grep -q 'peer=rootlesskit' ${PASTA_PROFILE} || sed -i '$ s|^}$|  ${PASTA_RULES[0]}\\n  ${PASTA_RULES[1]}\\n}|' ${PASTA_PROFILE}`,
    `grep -q 'peer=rootlesskit' ${PASTA_PROFILE}`,
    `apparmor_parser -r ${PASTA_PROFILE}`,
  ];
}

/** What a confined pasta lacks for RootlessKit with these settings, as a sentence; null when nothing. */
export function pastaApparmorProblem(a: PastaApparmor | null | undefined, detachNetns: boolean): string | null {
  if (!a) return null;
  const lacks: string[] = [];
  if (!a.allowsRootlessKitSignal) lacks.push('RootlessKit\'s signals (so RootlessKit cannot stop pasta and every stop or restart of containerd.service hangs: apparmor="DENIED" operation="signal" peer="rootlesskit")');
  if (detachNetns && !a.allowsCopiedUpRun)
    lacks.push('the detached network namespace under RootlessKit\'s copied-up /run (--copy-up=/run moves /run to /run/.roNNNN, outside the profile\'s @{run}/user/@{uid}/**: apparmor="DENIED" operation="open", pasta exits and containers have no network)');
  return lacks.length ? `AppArmor confines pasta (${a.profile}), and its profile denies it ${lacks.join(", and ")}` : null;
}

/** The refusal's fix: keep another driver, or let root add the rules. */
export function pastaApparmorError(problem: string): UserError {
  return new UserError(
    problem,
    "Keep the default network driver (slirp4netns: `containerd-rootless-systemd configure --reset net --reset port-driver`), or have root add the two rules to pasta's profile (below; a passt upgrade asks before replacing the edited file) and run this again.",
    1,
    pastaProfileFix(),
  );
}
