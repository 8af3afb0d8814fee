// self-update: replace this binary with a signed, newer release, keep the previous one as
// NAME.old, and put it back on --rollback. It never goes backwards: an older release (the
// "latest" of a mirror that lags, a stale --from directory) is not an update, unless --version
// names it explicitly, and then the run says it is going back. Order of trust: SHA256SUMS must carry a valid
// minisign signature by the key built into this binary (its trusted comment names the
// version), then the download must match its line in SHA256SUMS, then the unpacked binary must
// run and report that version — only then is anything replaced, each file by one rename(2).
import { createHash } from "node:crypto";
import type { RunContext } from "../plan/run-context.ts";
import { UserError } from "../os/errors.ts";
import { BINARY_NAME } from "../os/paths.ts";
import { RELEASE_PUBLIC_KEY, VERSION, artifactName, releaseArch } from "./build-info.ts";
import { parsePublicKey, verifySignature, SignatureError } from "./minisign.ts";
import { openSource, parseSums } from "./source.ts";
import { binaryTargets, serviceRestart } from "./targets.ts";
import { compareVersions } from "../os/version.ts";

export interface SelfUpdateOptions {
  version?: string;
  from?: string;
  check?: boolean;
  /** asks before replacing; undefined means go ahead */
  confirm?: (question: string) => Promise<boolean>;
  /** the architecture to fetch (the running one) */
  arch: string;
  /** the trusted key; the built-in one by default */
  publicKey?: string;
}

export interface SelfUpdateResult {
  command: "self-update";
  ok: true;
  changed: boolean;
  current: string;
  available: string;
  /** a newer release than this binary (an older one is never an update) */
  updateAvailable: boolean;
  /** the release is older than this binary (installed only when --version named it) */
  older?: boolean;
  source: string;
  replaced: string[];
  kept: string[];
  restart?: "not-needed" | "needed" | "no-service" | "unknown";
}

const NOTHING = "Nothing was changed.";

export async function selfUpdate(ctx: RunContext, opts: SelfUpdateOptions): Promise<SelfUpdateResult> {
  const { host, reporter } = ctx;
  const keyText = opts.publicKey ?? RELEASE_PUBLIC_KEY;
  if (!keyText) throw new UserError("this build has no release signing key built in (a development build), so it cannot verify an update", `Install a released binary (see the README's Install section), or rebuild with CRS_RELEASE_PUBKEY set.`);
  if (host.scriptPath) throw new UserError("self-update replaces a compiled binary; this is running from source", "Use git pull and bun scripts/build.ts instead.");
  const arch = releaseArch(opts.arch);
  if (!arch) throw new UserError(`there are no releases for ${opts.arch}`, "Releases cover x64 and arm64.");
  const source = await openSource(host, opts.from, opts.version);
  reporter.info(`Checking ${source.where}`);
  const sumsBytes = await source.get("SHA256SUMS");
  const sigBytes = await source.get("SHA256SUMS.minisig");
  if (!sumsBytes || !sigBytes) throw new UserError(`${source.where} has no ${sumsBytes ? "SHA256SUMS.minisig" : "SHA256SUMS"}; it is not a release (or not this version's)`, `Check --from/--version. ${NOTHING}`);
  let comment: string;
  try {
    comment = verifySignature(sumsBytes, new TextDecoder().decode(sigBytes), parsePublicKey(keyText)).trustedComment;
  } catch (e) {
    if (!(e instanceof SignatureError)) throw e;
    throw new UserError(`SHA256SUMS from ${source.where} failed its signature check: ${e.message}`, `Do not use this release; it was not signed by the project's key. ${NOTHING}`);
  }
  const available = new RegExp(`^${BINARY_NAME} v?(\\S+)$`).exec(comment)?.[1];
  if (!available) throw new UserError(`the signed comment of SHA256SUMS ("${comment}") names no version`, NOTHING);
  if (opts.version && available !== opts.version.replace(/^v/, "")) throw new UserError(`${source.where} holds version ${available}, not ${opts.version}`, NOTHING);
  const base = { command: "self-update" as const, ok: true as const, current: VERSION, available, source: source.where, replaced: [], kept: [] };
  const direction = compareVersions(available, VERSION);
  const updateAvailable = direction > 0;
  // never backwards unless --version names that older release explicitly
  const downgrade = direction < 0 && opts.version !== undefined;
  if (opts.check || !(updateAvailable || downgrade)) {
    reporter.info(
      updateAvailable
        ? `Version ${available} is available (this is ${VERSION}). Run \`${BINARY_NAME} self-update\` to install it.`
        : direction < 0
          ? `${BINARY_NAME} ${VERSION} is up to date: ${source.where} holds ${available}, which is older; nothing was changed. To go back to it on purpose: \`${BINARY_NAME} self-update --version ${available}${opts.from ? ` --from ${opts.from}` : ""}\`.`
          : `${BINARY_NAME} ${VERSION} is up to date.`,
    );
    return { ...base, changed: false, updateAvailable, ...(direction < 0 ? { older: true } : {}) };
  }
  if (downgrade) reporter.warn(`Going back from ${VERSION} to the older ${available}, because --version ${opts.version} names it.`);

  const name = artifactName(arch, "gz");
  const want = parseSums(new TextDecoder().decode(sumsBytes)).get(name);
  if (!want) throw new UserError(`the release's SHA256SUMS lists no ${name}`, NOTHING);
  if (opts.confirm && !(await opts.confirm(`Replace ${BINARY_NAME} ${VERSION} with ${downgrade ? "the older " : ""}${available}? [y/N] `))) throw new UserError("cancelled", NOTHING);
  reporter.info(`Downloading ${name}`);
  const packed = await source.get(name);
  if (!packed) throw new UserError(`${source.where} has no ${name}`, NOTHING);
  const got = createHash("sha256").update(packed).digest("hex");
  if (got !== want) throw new UserError(`checksum mismatch for ${name}: SHA256SUMS says ${want}, the download is ${got}`, `The download is damaged or was tampered with. ${NOTHING}`);
  const binary = Bun.gunzipSync(packed as Uint8Array<ArrayBuffer>);

  // each target: the new binary written durably beside it (NAME.new) and run; then the current
  // one copied to NAME.old, and NAME.new renamed over it (one rename(2): never a missing binary)
  const targets = await binaryTargets(host, ctx.paths);
  try {
    for (const target of targets) {
      await host.writeFileAtomic(`${target}.new`, binary, 0o755);
      const ran = await host.run([`${target}.new`, "--version"], { timeoutMs: 60_000 });
      if (ran.code !== 0 || ran.stdout.trim() !== available) throw new UserError(`the new binary does not run here (${(ran.stdout + ran.stderr).trim() || `exit ${ran.code}`})`, NOTHING);
    }
    for (const target of targets) {
      await host.copyFileAtomic(target, `${target}.old`);
      await host.rename(`${target}.new`, target);
      reporter.info(`Replaced ${target} (${VERSION} -> ${available}); the previous one is ${target}.old`);
    }
  } finally {
    for (const target of targets) await host.remove(`${target}.new`);
  }
  const restart = await serviceRestart(ctx);
  return { ...base, changed: true, updateAvailable, ...(downgrade ? { older: true } : {}), replaced: targets, kept: targets.map((t) => `${t}.old`), restart };
}

export interface RollbackResult {
  command: "self-update";
  ok: true;
  changed: boolean;
  restored: string[];
}

/** Puts NAME.old back in place of each binary self-update replaced. */
export async function rollback(ctx: RunContext): Promise<RollbackResult> {
  const { host, reporter } = ctx;
  const restored: string[] = [];
  for (const target of await binaryTargets(host, ctx.paths)) {
    if (!(await host.stat(`${target}.old`))?.isFile) continue;
    await host.rename(`${target}.old`, target);
    reporter.info(`Restored ${target} from ${target}.old`);
    restored.push(target);
  }
  if (restored.length === 0) throw new UserError(`there is no previous version to restore (no ${BINARY_NAME}.old beside the binary)`, "self-update keeps the replaced binary as NAME.old; there is none here.");
  return { command: "self-update", ok: true, changed: true, restored };
}
