// What a build knows about itself and its releases: the version (package.json's, or the one
// the release script built in), the minisign public key that self-update trusts (built in by
// scripts/compile.ts; absent from development builds), and where releases are published.
import pkg from "../../../package.json" with { type: "json" };
import { BINARY_NAME } from "../os/paths.ts";

declare const CRS_BUILD_VERSION: string | undefined;
declare const CRS_RELEASE_PUBKEY: string | undefined;

export const VERSION: string = typeof CRS_BUILD_VERSION === "string" ? CRS_BUILD_VERSION : pkg.version;
export const RELEASE_PUBLIC_KEY: string | undefined = typeof CRS_RELEASE_PUBKEY === "string" ? CRS_RELEASE_PUBKEY : undefined;

/** The project's GitHub releases. The owner is a placeholder until the project has its public home. */
export const RELEASES = `https://github.com/OWNER/${BINARY_NAME}/releases`;

/** Where one release's files are (the latest when no version is given). */
export function releaseBase(version?: string): string {
  return version ? `${RELEASES}/download/v${version.replace(/^v/, "")}` : `${RELEASES}/latest/download`;
}

export type Arch = "x64" | "arm64";

/** The compressed binary of one architecture in a release. */
export function artifactName(arch: Arch, ext: "gz" | "xz"): string {
  return `${BINARY_NAME}-linux-${arch}.${ext}`;
}

/** Node's name for the running architecture -> the release's. */
export function releaseArch(nodeArch: string): Arch | null {
  return nodeArch === "x64" ? "x64" : nodeArch === "arm64" ? "arm64" : null;
}
