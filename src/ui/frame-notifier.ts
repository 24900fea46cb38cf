// At most one notification per frame: changes mark the store dirty, and the frame timer (or at once, frameMs <= 0)
// builds the next snapshot and tells the listeners. Shared by the one-machine store and the fleet's.
export type FrameNotifier = {
  /** Something changed: notify at the next frame. */
  changed(): void;
  /** Notify now if anything changed. */
  flush(): void;
  subscribe(listener: () => void): () => void;
  dispose(): void;
};

/** `frame` makes the next snapshot; it runs once per frame with changes, before the listeners are told. */
export function frameNotifier(frameMs: number, frame: () => void): FrameNotifier {
  const listeners = new Set<() => void>();
  let dirty = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const notify = (): void => {
    timer = null;
    if (!dirty) return;
    dirty = false;
    frame();
    for (const l of [...listeners]) l();
  };
  return {
    changed: () => {
      dirty = true;
      if (frameMs <= 0) notify();
      else if (timer === null) timer = setTimeout(notify, frameMs);
    },
    flush: () => { if (timer !== null) clearTimeout(timer); notify(); },
    subscribe: (listener) => { listeners.add(listener); return () => { listeners.delete(listener); }; },
    dispose: () => { if (timer !== null) clearTimeout(timer); timer = null; listeners.clear(); },
  };
}
