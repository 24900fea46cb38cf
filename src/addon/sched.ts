// Short EEVDF slices for a thread whose work per wake-up is small and whose latency matters (native/slices.cc, through native/sched_addon.cc).
import { loadNative } from './native.js';

/**
 * Asks the kernel for `us` microseconds slices for the calling thread (the main thread, called from JS): a
 * wake-up of it then preempts a CPU-bound task instead of waiting out that task's slice. True when the kernel took
 * it; false on kernels without EEVDF's custom slices (nothing changes there). Never throws.
 */
export function askShortSlices(us: number): boolean {
  try {
    return loadNative().shortSlices(us);
  } catch {
    return false;
  }
}
