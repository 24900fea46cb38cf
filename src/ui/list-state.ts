// Selection and scrolling of one list, pure: the selection is a row key, so it survives updates that move or remove rows.

export type ListState = {
  /** Key of the selected row; null before the first move. */
  readonly selected: string | null;
  /** Where the selection was, for when its row goes away. */
  readonly index: number;
  /** First visible row. */
  readonly offset: number;
};

export const emptyList: ListState = { selected: null, index: 0, offset: 0 };

export type Move = 'up' | 'down' | 'page-up' | 'page-down' | 'home' | 'end';

const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, n));

/** The selected row's index in `keys`: by key while the row exists, else the last index, clamped. */
export function selectedIndex(list: ListState, keys: readonly string[]): number {
  if (keys.length === 0) return -1;
  if (list.selected !== null) {
    const at = keys.indexOf(list.selected);
    if (at >= 0) return at;
  }
  return clamp(list.index, 0, keys.length - 1);
}

/** The visible window: the selection kept in view with the fewest scrolled rows. */
export function windowOf(list: ListState, keys: readonly string[], height: number): { index: number; offset: number } {
  const index = selectedIndex(list, keys);
  const h = Math.max(1, height);
  const maxOffset = Math.max(0, keys.length - h);
  let offset = clamp(list.offset, 0, maxOffset);
  if (index >= 0 && index < offset) offset = index;
  if (index >= offset + h) offset = index - h + 1;
  return { index, offset };
}

export function moveList(list: ListState, keys: readonly string[], move: Move, height: number): ListState {
  if (keys.length === 0) return list;
  const { index, offset } = windowOf(list, keys, height);
  const page = Math.max(1, height - 1);
  const last = keys.length - 1;
  const to = {
    up: index - 1, down: index + 1, 'page-up': index - page, 'page-down': index + page, home: 0, end: last,
  }[move];
  return selectIndex({ ...list, offset }, keys, clamp(to, 0, last), height);
}

export function selectIndex(list: ListState, keys: readonly string[], index: number, height: number): ListState {
  const key = keys[index];
  if (key === undefined) return list;
  const next = { selected: key, index, offset: list.offset };
  return { ...next, offset: windowOf(next, keys, height).offset };
}

/** Selects the row with this key if present. */
export function selectKey(list: ListState, keys: readonly string[], key: string, height: number): ListState {
  const at = keys.indexOf(key);
  return at < 0 ? list : selectIndex(list, keys, at, height);
}
