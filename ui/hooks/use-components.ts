import { useEngine } from "../contexts/app-context.tsx";
import { useAsync, type AsyncState } from "./use-async.ts";
import type { ComponentsOffer } from "../engine/types.ts";

/**
 * Where containerd and RootlessKit may come from (the engine words the choices). The offer
 * comes at once; the same offer with the download's size (asked from the server, a few
 * seconds at most) replaces it when it arrives: the screen never waits for the network.
 */
export function useComponents(): AsyncState<ComponentsOffer> {
  const engine = useEngine();
  const quick = useAsync(() => engine.components(), [engine]);
  const sized = useAsync(() => engine.components({ size: true }), [engine]);
  return sized.value ? sized : quick;
}
