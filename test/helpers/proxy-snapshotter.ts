// The real gRPC proxy snapshotter for tests: built offline from test/fixtures/proxy-snapshotter
// and cached by source hash (scripts/proxy-snapshotter.ts, shared with `npm run bench`).
export { buildProxySnapshotter, PROXY_SNAPSHOTTER_SOURCE, SNAPSHOTTER_DAEMONS } from "../../scripts/proxy-snapshotter.ts";
