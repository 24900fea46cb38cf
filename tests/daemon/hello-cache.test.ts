import { describe, expect, it } from 'vitest';
import { HelloCache } from '../../src/daemon/hello-cache.js';

describe('HelloCache', () => {
  it('encodes once for hellos within the age bound, again after it, and frames the reply as one line', () => {
    let now = 0;
    let n = 0;
    const cache = new HelloCache(250, () => now);
    const encode = (): string => JSON.stringify({ op: 'hello', n: ++n });
    const a = cache.reply(encode);
    now = 249;
    const b = cache.reply(encode);
    expect(b).toBe(a);
    expect(a.toString()).toBe('{"op":"hello","n":1}\n');
    now = 250;
    expect(cache.reply(encode).toString()).toBe('{"op":"hello","n":2}\n');
    expect(cache.encoded).toBe(2);
    cache.clear();
    expect(cache.reply(encode).toString()).toBe('{"op":"hello","n":3}\n');
    cache.clear();
  });
});
