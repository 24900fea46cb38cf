// src/ring/layout.ts must say what native/ring_layout.h was compiled with.
import { describe, expect, it } from 'vitest';

import { RING_LAYOUT, recordBytes } from '../../src/ring/layout.js';
import { loadNative } from '../../src/addon/native.js';

describe('ring layout', () => {
  it('the TS constants match what the addon reports', () => {
    expect(loadNative().layout).toStrictEqual(RING_LAYOUT);
  });

  it('record sizes are header plus payload, padded to the record alignment', () => {
    expect([0, 1, 8, 9, 100].map(recordBytes)).toEqual([16, 24, 24, 32, 120]);
  });
});
