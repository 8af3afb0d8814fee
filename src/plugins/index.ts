// Imports every add-on file; each registers itself. Keep one import per file of this
// directory (a test runs the compiled binary and checks they are all there).
import "./detach-netns.ts";
import "./bypass4netns.ts";
import "./fuse-overlayfs.ts";
import "./stargz.ts";
import "./buildkit.ts";

export { plugins, getPlugin } from "./registry.ts";
