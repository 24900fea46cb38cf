// Work that arrives faster than it can be done (a flood on one log connection) must not starve the rest of the
// event loop (hellos, signals, /proc scans), nor the other connections: items are handled in slices of a few
// milliseconds with a turn of the event loop between slices, and each lane (a log connection) keeps its own order
// while lanes take turns, one item each, so a quiet Nix's lines never wait behind a flood's backlog. An idle queue
// handles a new item at once, so nothing waits when calm. Every operation is O(1) amortised.
import { performance } from 'node:perf_hooks';

export type SlicedQueue<T> = {
  push(item: T): void;
  /** Items waiting for a later slice. */
  readonly pending: () => number;
};

/** One lane's items, in order; `head` is the next to handle. */
type Lane<T> = { items: T[]; head: number };

export function slicedQueue<T>(handle: (item: T) => void, sliceMs = 4, laneOf: (item: T) => number = () => 0): SlicedQueue<T> {
  const lanes = new Map<number, Lane<T>>();
  // Lanes with items, in turn order; a lane appears here at most once.
  let turns: number[] = [];
  let turn = 0;
  let pending = 0;
  const next = (): T | undefined => {
    while (turn < turns.length) {
      const key = turns[turn++] as number;
      const lane = lanes.get(key);
      if (!lane) continue;
      const item = lane.items[lane.head] as T;
      lane.items[lane.head++] = undefined as T;
      if (lane.head >= lane.items.length) lanes.delete(key);
      else {
        if (lane.head > 1024 && lane.head * 2 > lane.items.length) { lane.items = lane.items.slice(lane.head); lane.head = 0; }
        turns.push(key);
      }
      if (turn > 1024 && turn * 2 > turns.length) { turns = turns.slice(turn); turn = 0; }
      pending--;
      return item;
    }
    return undefined;
  };
  // A turn is one slice of work followed by a turn of the event loop. Items that arrive while the loop is in one
  // callback (a worker's port delivers hundreds of messages in one) share that callback's turn: they must not each
  // get a fresh slice, or a steady flood would hold the loop for seconds without ever leaving the callback.
  let turnEnd = 0;
  let running = false;
  const run = (): void => {
    running = true;
    try {
      while (pending > 0) {
        handle(next() as T);
        if (performance.now() >= turnEnd) break;
      }
    } finally {
      running = false;
      if (pending === 0) { turns = []; turn = 0; }
    }
  };
  const endTurn = (): void => {
    turnEnd = 0;
    if (pending > 0) { openTurn(); run(); }
  };
  const openTurn = (): void => {
    if (turnEnd !== 0) return;
    turnEnd = performance.now() + sliceMs;
    setImmediate(endTurn);
  };
  return {
    push(item) {
      const key = laneOf(item);
      const lane = lanes.get(key);
      if (lane) lane.items.push(item);
      else { lanes.set(key, { items: [item], head: 0 }); turns.push(key); }
      pending++;
      if (running) return;
      // A new turn handles at least one item whatever the clock says (a preempted process may read it late).
      const fresh = turnEnd === 0;
      openTurn();
      if (fresh || performance.now() < turnEnd) run();
    },
    pending: () => pending,
  };
}
