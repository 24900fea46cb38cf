// Work that arrives faster than it can be done (a flood on one log connection) must not starve the rest of the
// event loop (hellos, signals, /proc scans): items are handled in order, in slices of a few milliseconds, with a
// turn of the event loop between slices. An idle queue handles a new item at once, so nothing waits when calm.
import { performance } from 'node:perf_hooks';

export type SlicedQueue<T> = {
  push(item: T): void;
  /** Items waiting for a later slice. */
  readonly pending: () => number;
};

export function slicedQueue<T>(handle: (item: T) => void, sliceMs = 4): SlicedQueue<T> {
  let items: T[] = [];
  let head = 0;
  let scheduled = false;
  let running = false;
  const drain = (): void => {
    scheduled = false;
    running = true;
    const until = performance.now() + sliceMs;
    try {
      while (head < items.length) {
        const item = items[head] as T;
        items[head++] = undefined as T;
        handle(item);
        if (head < items.length && performance.now() >= until) break;
      }
    } finally {
      running = false;
      if (head >= items.length) { items = []; head = 0; }
      else if (head > 1024 && head * 2 > items.length) { items = items.slice(head); head = 0; }
      if (head < items.length && !scheduled) { scheduled = true; setImmediate(drain); }
    }
  };
  return {
    push(item) {
      items.push(item);
      if (!running && !scheduled) drain();
    },
    pending: () => items.length - head,
  };
}
