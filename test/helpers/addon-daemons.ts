// The add-on daemons other than the snapshotters, put in a sandbox user's ~/addons as a user who
// downloaded them would, for the e2e tests to have on PATH:
// - buildkitd: the BuildKit v0.26.3 stand-in (test/fixtures/buildkitd-standin, built by
//   scripts/go-fixtures.ts), with `buildkit-cni-bridge`, `-loopback`, `-host-local` and
//   `-firewall` beside it as upstream's release tarball ships them (here: links to Debian's
//   containernetworking-plugins), so that its bridge networking finds CNI plugins as the real
//   one would;
// - bypass4netnsd and bypass4netns: the real 0.4.1 of Debian 13 (scripts/debian-stack.ts: this
//   machine's own package on Debian 13, fetched and unpacked on Debian 12).
import { copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { expect } from "bun:test";
import { BUILDKITD_STANDIN, buildGoFixture } from "../../scripts/go-fixtures.ts";
import { CNI_DIR, secondStack } from "../../scripts/debian-stack.ts";
import type { E2ESandbox } from "./e2e.ts";

/** The CNI plugins BuildKit's bridge networking runs (util/network/cniprovider/bridge.go at v0.26.3). */
export const BUILDKIT_CNI_PLUGINS = ["bridge", "loopback", "host-local", "firewall"];

/** Fills ~/addons (owned by the user) and returns its path. */
export async function installAddonDaemons(e2e: E2ESandbox): Promise<string> {
  const dir = join(e2e.sb.home, "addons");
  mkdirSync(dir, { recursive: true });
  copyFileSync(await buildGoFixture(BUILDKITD_STANDIN), join(dir, "buildkitd"));
  for (const p of BUILDKIT_CNI_PLUGINS) symlinkSync(join(CNI_DIR, p), join(dir, `buildkit-cni-${p}`));
  const stack = secondStack();
  for (const p of ["bypass4netnsd", "bypass4netns"]) copyFileSync(join(stack.bin, p), join(dir, p));
  expect(Bun.spawnSync(["chmod", "755", join(dir, "buildkitd"), join(dir, "bypass4netnsd"), join(dir, "bypass4netns")]).exitCode).toBe(0);
  expect(Bun.spawnSync(["chown", "-hR", `${e2e.sb.user}:`, dir]).exitCode).toBe(0);
  return dir;
}
