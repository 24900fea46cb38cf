// The allowance of derivations a non-root uid's open sources may add (src/daemon/derivation-quota.ts), over a plain
// counter standing for the daemon's derivations; the daemon itself is attacked in tests/e2e/atk8-quota.test.ts.
import { describe, expect, it } from 'vitest';
import { DerivationQuota } from '../../src/daemon/derivation-quota.js';
import type { BtmEvent } from '../../src/state/events.js';

const nix: BtmEvent = { kind: 'nix', at: null, source: 's', record: { kind: 'stop', id: '1' } };
const close: BtmEvent = { kind: 'source-close', at: null, source: 's', exitCode: null, reason: 'eof' };

describe('DerivationQuota', () => {
  it('counts what each event added per uid, drops Nix records past the allowance, tells once, frees on release; root is free', async () => {
    let size = 0;
    const quota = new DerivationQuota(3, () => size);
    const published: string[] = [];
    const overs: number[] = [];
    const grow = (tag: string) => (e: BtmEvent): void => { published.push(`${tag}:${e.kind}`); if (e.kind === 'nix') size++; };
    const all = (tag: string) => (es: readonly BtmEvent[]): void => es.forEach(grow(tag));
    const a = quota.source(1000, grow('a'), all('a'), (n) => overs.push(n));
    const b = quota.source(1000, grow('b'), all('b'), (n) => overs.push(-n));
    const r = quota.source(0, grow('r'), all('r'), () => overs.push(0));
    for (let i = 0; i < 3; i++) a.emit(nix);
    b.emit(nix); // the uid's fourth: past the allowance, said once the turn is over
    b.emit(nix);
    b.emit(close);
    for (let i = 0; i < 10; i++) r.emit(nix);
    await Promise.resolve();
    expect(overs).toEqual([-4]);
    expect(published.filter((p) => p.startsWith('b:'))).toEqual(['b:nix', 'b:source-close']);
    expect(quota.added(1000)).toBe(4);
    expect(quota.added(0)).toBe(0);
    b.release();
    b.release();
    expect(quota.added(1000)).toBe(3);
    a.release();
    expect(quota.added(1000)).toBe(0);
  });
  it('counts net: what an event gives back (a stop closing its activity) is no longer held, never below nothing', () => {
    let size = 10;
    const quota = new DerivationQuota(100, () => size);
    const c = quota.source(2000, (e) => { size += e.kind === 'nix' ? 1 : -5; }, () => undefined, () => undefined);
    c.emit(nix);
    c.emit(nix);
    expect(quota.added(2000)).toBe(2);
    c.emit(close); // gives back more than it held (an eviction): nothing held, not less
    expect(quota.added(2000)).toBe(0);
    c.emit(nix);
    expect(quota.added(2000)).toBe(1);
  });
  it('a chunk of events counts what it added in all; near the allowance it goes one record at a time and stops one past it', async () => {
    let size = 0;
    const quota = new DerivationQuota(20, () => size);
    const overs: number[] = [];
    const published: number[] = [];
    const emit = (): void => { size++; published.push(1); };
    const emitAll = (es: readonly BtmEvent[]): void => { size += es.length; published.push(es.length); };
    const chunk = (n: number): [BtmEvent[], string[]] => [Array<BtmEvent>(n).fill(nix), Array<string>(n).fill('')];
    const s = quota.source(1000, emit, emitAll, (n) => overs.push(n));
    s.emitAll(...chunk(3));
    s.emitAll(...chunk(3));
    expect(published).toEqual([3, 3]); // far from it: one call a chunk
    s.emitAll(...chunk(100)); // 6 held: a chunk that could cross it is taken record by record, up to the 21st
    expect(quota.added(1000)).toBe(21);
    expect(published).toEqual([3, 3, ...Array<number>(15).fill(1)]);
    s.emitAll(...chunk(2)); // past it: dropped whole
    s.emit(nix);
    s.emitAll([], []);
    await Promise.resolve();
    expect(overs).toEqual([21]);
    expect(published.length).toBe(17);
    const root = quota.source(0, emit, emitAll, () => overs.push(0));
    root.emitAll(...chunk(60));
    expect(quota.added(0)).toBe(0);
    s.release();
    expect(quota.added(1000)).toBe(0);
  });
});
