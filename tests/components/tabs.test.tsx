import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import Tabs from '../../src/components/Tabs.js';

describe('Tabs', () => {
  it('shows every title when the tabs and the mode fit', () => {
    const { lastFrame } = render(<Tabs view="process" mode="tree · Nix processes" position="" width={120} />);
    expect(lastFrame()).toBe(' 1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  tree · Nix processes');
  });
  it('keeps the mode (a filter) readable at 80 columns: other views by number only', () => {
    const { lastFrame } = render(<Tabs view="process" mode={'list · Nix processes · filter "nix-d"'} position="" width={80} />);
    expect(lastFrame()).toBe(' 1 Process  2  3  4  5  list · Nix processes · filter "nix-d"');
  });
  it('keeps the row position at the right end when there is room for it', () => {
    const { lastFrame } = render(<Tabs view="jobs" mode="jobs" position="3/17" width={80} />);
    expect(lastFrame()).toBe(' 1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  jobs' + ' '.repeat(16) + ' 3/17');
  });
});
