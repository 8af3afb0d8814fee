// RootlessKit's own REST API on $STATE_DIR/api.sock, the one `rootlessctl` and nerdctl's
// client library speak (RootlessKit pkg/api/router, at v1.1.0 and v2.0.2 alike): GET /v1/info,
// POST /v1/ports with a port spec (201 and its status with the id), DELETE /v1/ports/ID, and a
// JSON {"message"} with a non-2xx status for an error. Asked directly: no process per request.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import { httpRequest } from "../os/socket-protocols.ts";

/** The dummy host name RootlessKit's own client sends (pkg/api/client). */
const HOST = "rootlesskit";

export interface PortSpec {
  proto: "tcp" | "tcp4" | "tcp6" | "udp" | "udp4" | "udp6";
  parentIP: string;
  parentPort: number;
  childPort: number;
}

const api = (stateDir: string) => join(stateDir, "api.sock");
const message = (body: string) => {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body.trim();
  } catch {
    return body.trim();
  }
};

/** `GET /v1/info` (what `rootlessctl info --json` prints), or null when the API does not answer. */
export async function rootlesskitInfo(host: Host, stateDir: string): Promise<Record<string, unknown> | null> {
  const r = await httpRequest(host, api(stateDir), "GET", "/v1/info", HOST, undefined, 5000);
  if (r?.status !== 200) return null;
  try {
    return JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Publishes a port through RootlessKit's port driver: its id, or the driver's own error. */
export async function addPort(host: Host, stateDir: string, spec: PortSpec): Promise<{ id: number } | { error: string }> {
  const r = await httpRequest(host, api(stateDir), "POST", "/v1/ports", HOST, JSON.stringify(spec), 5000);
  if (!r) return { error: `no answer from RootlessKit's API (${api(stateDir)})` };
  if (r.status !== 201 && r.status !== 200) return { error: message(r.body) || `HTTP ${r.status}` };
  const id = (JSON.parse(r.body) as { id?: number }).id;
  return typeof id === "number" ? { id } : { error: `no port id in ${JSON.stringify(r.body)}` };
}

export async function removePort(host: Host, stateDir: string, id: number): Promise<string | null> {
  const r = await httpRequest(host, api(stateDir), "DELETE", `/v1/ports/${id}`, HOST, undefined, 5000);
  return r?.status === 200 ? null : r ? message(r.body) || `HTTP ${r.status}` : "no answer from RootlessKit's API";
}

/** The published ports: id and spec each. */
export async function listPorts(host: Host, stateDir: string): Promise<{ id: number; spec: PortSpec }[]> {
  const r = await httpRequest(host, api(stateDir), "GET", "/v1/ports", HOST, undefined, 5000);
  try {
    return r?.status === 200 ? (JSON.parse(r.body) as { id: number; spec: PortSpec }[]) : [];
  } catch {
    return [];
  }
}

export const specText = (s: PortSpec) => `${s.parentIP}:${s.parentPort}:${s.childPort}/${s.proto}`;
