import { defineCommand } from "citty";
import { outputArgs, runContext } from "./_shared.ts";
import { listAddons } from "../core/lifecycle/addons.ts";
import "../plugins/index.ts"; // every add-on registers itself: the composition happens here, at the edge

export const examples = ["containerd-rootless-systemd plugins", "containerd-rootless-systemd plugins --json", "containerd-rootless-systemd plugins --status", "containerd-rootless-systemd plugins --components   # as if `install --components` fetched nerdctl-full"];

export default defineCommand({
  meta: { name: "plugins", description: "List the add-ons, whether each can be installed here, and why not" },
  args: {
    ...outputArgs,
    status: { type: "boolean", description: "Also ask systemd whether each add-on is installed and answering" },
    components: { type: "boolean", description: "As if the nerdctl-full bundle were fetched (`install --components`): the add-ons it brings count as available" },
  },
  async run({ args, data }) {
    const { host, paths, reporter } = runContext(data, args);
    const list = await listAddons(host, paths, Boolean(args.status), { components: Boolean(args.components) });
    for (const a of list) {
      const state = a.status ? (a.status.installed ? " [installed]" : " [not installed]") : "";
      reporter.plain(`${a.id.padEnd(15)} ${a.available ? "available  " : "unavailable"}${state}  ${a.summary}${a.available && a.via ? ` (comes with ${a.via})` : ""}`);
      if (!a.available && a.reason) reporter.plain(`${"".padEnd(16)}${a.reason.replace(/\n/g, `\n${"".padEnd(16)}`)}${a.via ? `\n${"".padEnd(16)}It comes with ${a.via}: \`containerd-rootless-systemd install --components\` fetches it.` : ""}`);
    }
    reporter.result({ plugins: list });
    return 0;
  },
});
