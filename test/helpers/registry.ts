// A real OCI registry for the e2e tests: Debian's `docker-registry` (distribution 2.8) on an
// address of the host, with its storage in a temporary directory, started as root (as a local
// registry service would run), ready once GET /v2/ answers.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../scripts/sandbox.ts";

export interface Registry {
  /** HOST:PORT */
  address: string;
  stop(): void;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRegistry(host: string): Promise<Registry> {
  const port = await freePort(host);
  const dir = mkdtempSync(join(tmpdir(), "crs-registry-"));
  const config = join(dir, "config.yml");
  writeFileSync(config, ["version: 0.1", "log:", "  level: error", "storage:", "  filesystem:", `    rootdirectory: ${join(dir, "data")}`, "http:", `  addr: ${host}:${port}`, ""].join("\n"));
  const proc = Bun.spawn(["docker-registry", "serve", config], { stdout: "ignore", stderr: "pipe" });
  const stop = () => {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`docker-registry on ${host}:${port}`, async () => (await fetch(`http://${host}:${port}/v2/`).catch(() => null))?.status === 200, 30_000, 50);
  } catch (e) {
    stop();
    throw new Error(`${(e as Error).message}: ${await new Response(proc.stderr).text()}`);
  }
  return { address: `${host}:${port}`, stop };
}
