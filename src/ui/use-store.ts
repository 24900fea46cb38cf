// Reads the store from a component; re-renders at most once per store notification (once per frame).
import { useSyncExternalStore } from 'react';
import type { Shown, Store } from './store.js';

export function useStore(store: Store): Shown {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
