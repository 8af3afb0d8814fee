// The add-ons as the choose screen shows them, from the plugin registry (availability and
// status are each plugin's own answer).
import { plugins, type PluginContext } from "../../src/plugins/registry.ts";
import type { Addon } from "./types.ts";

export async function listAddons(ctx: PluginContext): Promise<Addon[]> {
  return Promise.all(
    plugins().map(async (p) => {
      const [availability, status] = await Promise.all([
        p.availability(ctx).catch((e) => ({ available: false, reason: (e as Error).message })),
        p.status(ctx).catch(() => ({ installed: false })),
      ]);
      return {
        id: p.id,
        title: p.title,
        summary: p.summary,
        available: availability.available,
        reason: availability.reason,
        installed: status.installed,
        options: (p.options ?? []).map((o) => ({ key: o.key, label: o.label, choices: o.choices, default: o.default })),
      };
    }),
  );
}
