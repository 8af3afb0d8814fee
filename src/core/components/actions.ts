// The components commands' engine: install (fetch, verify, unpack, activate), upgrade (the
// same, then restart and roll back on failure, then drop the old version), remove, status.
import type { RunContext } from "../plan/run-context.ts";
import { withLock } from "../os/lock.ts";
import { UserError } from "../os/errors.ts";
import { inventory, type ProgramInfo } from "./inventory.ts";
import { provision, type BundleRequest, type Provisioned } from "./provision.ts";
import { summaryLine, terminalProgress } from "./progress.ts";
import type { AddonProbe } from "../containerd/addon-ready.ts";
import { activeVersion, componentsDir, currentLink, deactivate, installedVersions, readMeta, versionDir, type BundleMeta } from "./store.ts";
import { switchBundle, unitsUsingBundle, type UnitProbes } from "./switch.ts";
import { plugins } from "../../plugins/registry.ts";
import { normalizeVersion, TRUST_TEXT } from "./release.ts";

export interface ComponentsResult {
  changed: boolean;
  active: string | null;
  previous?: string | null;
  bundle?: Omit<Provisioned, "dir">;
  restarted?: string[];
  removed?: string[];
}

/** The caller's onProgress (the UI's bar) when it gives one, else the terminal's live line. */
async function fetchWithProgress(ctx: RunContext, req: BundleRequest): Promise<Provisioned> {
  const progress = terminalProgress(ctx.host, "Downloading", ctx.reporter.json);
  try {
    const p = await provision(ctx.host, ctx.paths, { ...req, onProgress: req.onProgress ?? progress.onProgress, signal: ctx.signal });
    progress.done();
    if (p.changed) ctx.reporter.info(`${p.source.includes("://") ? "Downloaded" : "Read"} nerdctl-full ${p.version}: ${summaryLine(p.bytes, p.ms)}, SHA-256 ${p.sha256} verified (${p.trust}: ${TRUST_TEXT[p.trust]}); unpacked into ${p.dir}`);
    else ctx.reporter.info(`nerdctl-full ${p.version} is already unpacked in ${p.dir}`);
    return p;
  } catch (e) {
    progress.done();
    throw e;
  }
}

/** Every installed add-on unit's probe (the request install waits for and status asks), for the switch to wait on. */
export async function addonProbes(ctx: Pick<RunContext, "host" | "paths">): Promise<UnitProbes> {
  const out = new Map<string, AddonProbe>();
  for (const p of plugins()) for (const { unit, probe } of (await p.probes?.({ host: ctx.host, paths: ctx.paths })) ?? []) out.set(unit, probe);
  return out;
}

const strip = ({ dir: _d, ...rest }: Provisioned) => rest;

/** Fetches, verifies and unpacks a bundle and makes it active (restarting what runs from it). */
export async function installComponents(ctx: RunContext, req: BundleRequest, opts: { upgrade?: boolean } = {}): Promise<ComponentsResult> {
  const { host, paths, reporter } = ctx;
  return withLock(host, paths, { purpose: opts.upgrade ? "components upgrade" : "components install" }, async () => {
    const previous = await activeVersion(host, paths);
    if (opts.upgrade && !previous) throw new UserError("no bundle is active, so there is nothing to upgrade", "Install one first: `containerd-rootless-systemd components install`.");
    const p = await fetchWithProgress(ctx, req);
    if (previous === p.version) {
      reporter.info(`nerdctl-full ${p.version} is already active`);
      return { changed: p.changed, active: p.version, previous, bundle: strip(p) };
    }
    let restarted: string[];
    try {
      ({ restarted } = await switchBundle(host, paths, previous, p.version, (m) => reporter.info(m), { probes: await addonProbes(ctx) }));
    } catch (e) {
      if (p.changed) await host.remove(p.dir, { recursive: true });
      throw e;
    }
    reporter.info(`nerdctl-full ${p.version} is active (${currentLink(paths)} -> ${p.version})${restarted.length ? `; ${restarted.join(", ")} answer${restarted.length > 1 ? "" : "s"}` : ""}`);
    const removed: string[] = [];
    if (opts.upgrade && previous) {
      await host.remove(versionDir(paths, previous), { recursive: true });
      removed.push(previous);
      reporter.info(`Removed the previous version ${previous}`);
    }
    if (!restarted.length && !(await unitsUsingBundle(host, paths)).length) reporter.info("Run `containerd-rootless-systemd install` to run containerd from it.");
    return { changed: true, active: p.version, previous, bundle: strip(p), restarted, removed };
  });
}

/** Removes every bundle (or one inactive version) when no installed unit runs from them. */
export async function removeComponents(ctx: RunContext, opts: { version?: string } = {}): Promise<ComponentsResult> {
  const { host, paths, reporter } = ctx;
  return withLock(host, paths, { purpose: "components remove" }, async () => {
    const active = await activeVersion(host, paths);
    const versions = await installedVersions(host, paths);
    if (opts.version) {
      const v = normalizeVersion(opts.version);
      if (!versions.includes(v)) throw new UserError(`nerdctl-full ${v} is not unpacked here`, `Unpacked: ${versions.join(", ") || "none"}.`);
      if (v === active) throw new UserError(`nerdctl-full ${v} is the active version`, "Switch to another first (`components install --version V`), or remove them all with `components remove`.");
      await host.remove(versionDir(paths, v), { recursive: true });
      reporter.info(`Removed nerdctl-full ${v}`);
      return { changed: true, active, removed: [v] };
    }
    const users = await unitsUsingBundle(host, paths);
    if (users.length) throw new UserError(`the bundle is in use by ${users.join(", ")} (the bundle is first on ${users.length > 1 ? "their" : "its"} PATH)`, "Run `containerd-rootless-systemd uninstall` first (or uninstall those add-ons), then remove the bundle.");
    if (!versions.length && !active) {
      reporter.info("No bundle is installed");
      return { changed: false, active: null, removed: [] };
    }
    await deactivate(host, paths);
    for (const v of versions) await host.remove(versionDir(paths, v), { recursive: true });
    await host.removeEmptyDir(componentsDir(paths));
    reporter.info(`Removed ${versions.map((v) => `nerdctl-full ${v}`).join(", ")}`);
    return { changed: true, active: null, removed: versions };
  });
}

export interface ComponentsStatus {
  active: string | null;
  bundle: BundleMeta | null;
  versions: string[];
  usedBy: string[];
  programs: ProgramInfo[];
}

export async function componentsStatus(ctx: RunContext): Promise<ComponentsStatus> {
  const { host, paths } = ctx;
  const active = await activeVersion(host, paths);
  return {
    active,
    bundle: active ? await readMeta(host, paths, active) : null,
    versions: await installedVersions(host, paths),
    usedBy: await unitsUsingBundle(host, paths),
    programs: await inventory(host, paths),
  };
}
