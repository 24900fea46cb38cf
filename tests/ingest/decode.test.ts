import { describe, expect, it } from 'vitest';
import { createDecoder, decodeLine } from '../../src/ingest/decode.js';
import { ActivityType, ResultType } from '../../src/state/nix.js';
import { allCaptures, fixtureLines } from '../helpers.js';

// Real records from the captures, used as templates for the malformed and edge-case inputs below.
const realStart = fixtureLines('log-daemon-root-dag-success-v1.jsonl').find((l) => l.includes('"action":"start"') && l.includes('"type":105'))!;
const realMsg = fixtureLines('log-error-eval-type-error.jsonl')[0]!;

describe('decodeLine on real captures', () => {
  it.each(allCaptures())('decodes every line of %s without an invalid record', (file) => {
    const decoder = createDecoder();
    const lines = fixtureLines(file);
    const kinds = lines.map((l) => decoder.decode(l).kind);
    expect(kinds).not.toContain('invalid');
    expect(decoder.stats.records + decoder.stats.text).toBe(lines.length);
    expect(decoder.stats.invalid).toBe(0);
  });

  it('reads a Build start with its drv, machine and rounds', () => {
    const rec = decodeLine(realStart);
    expect(rec).toMatchObject({ kind: 'start', type: ActivityType.Build, level: 3, parent: '0' });
    if (rec.kind !== 'start') throw new Error('not a start');
    expect(rec.fields[0]).toMatch(/^\/nix\/store\/[a-z0-9]{32}-.*\.drv$/);
    expect(rec.fields.slice(1)).toEqual(['', 1, 1]);
    expect(rec.id).toBe('67903432949765');
  });

  it('strips ANSI codes and keeps the error position', () => {
    const rec = decodeLine(realMsg);
    expect(rec).toMatchObject({ kind: 'msg', level: 0, file: '/home/user/nixcapture/eval-error.nix', line: 1, column: 114 });
    if (rec.kind !== 'msg') throw new Error('not a msg');
    expect(rec.msg.startsWith('error: cannot add a string to an integer')).toBe(true);
    expect(rec.msg).not.toContain('\u001b');
    expect(rec.rawMsg).toBe('cannot add a string to an integer');
  });

  it('accepts json-log-path lines (no @nix prefix) and CRLF endings', () => {
    const bare = realStart.slice('@nix '.length);
    expect(decodeLine(bare)).toEqual(decodeLine(realStart));
    expect(decodeLine(realStart + '\r')).toEqual(decodeLine(realStart));
  });
});

describe('activity ids past 2^53', () => {
  it('keeps ids and parents exact', () => {
    const big = '18446744073709551557';
    const line = realStart.replace('"id":67903432949765', `"id":${big}`).replace('"action":"start"', `"action":"start","parent":${big}`);
    const rec = decodeLine(line);
    expect(rec).toMatchObject({ kind: 'start', id: big, parent: big });
    const stop = decodeLine(`@nix {"action":"stop","id":${big}}`);
    expect(stop).toEqual({ kind: 'stop', id: big });
    expect(Number(big)).toBe(Number('18446744073709551616')); // what JSON.parse alone would have kept
  });

  it('is not fooled by "id": inside a log line', () => {
    const line = `@nix {"action":"result","fields":["{\\"id\\":1}"],"id":9007199254740993,"type":101}`;
    expect(decodeLine(line)).toMatchObject({ kind: 'result', id: '9007199254740993', fields: ['{"id":1}'] });
  });
});

describe('bad input comes back as a value, never an exception', () => {
  const cases: [string, string, RegExp][] = [
    ['truncated JSON', '@nix {"action":"start","id":1', /^not JSON/],
    ['an array', '@nix [1,2]', /not a JSON object/],
    ['a string', '@nix "hello"', /not a JSON object/],
    ['no action', '@nix {"id":1}', /no "action"/],
    ['unknown action', '@nix {"action":"explode","id":1}', /unknown action "explode"/],
    ['start without id', '@nix {"action":"start","type":105}', /start without a numeric "id"/],
    ['id as a string', '@nix {"action":"stop","id":"12"}', /stop without a numeric "id"/],
    ['negative id', '@nix {"action":"stop","id":-1}', /stop without a numeric "id"/],
    ['result without type', '@nix {"action":"result","id":1,"fields":[]}', /result without a numeric "type"/],
    ['fields not an array', '@nix {"action":"result","id":1,"type":101,"fields":"x"}', /"fields" is not an array/],
    ['object in fields', '@nix {"action":"result","id":1,"type":101,"fields":[{"a":1}]}', /fields\[0\] is neither/],
    ['msg without text', '@nix {"action":"msg","level":0}', /msg without a string "msg"/],
    ['level not a number', '@nix {"action":"msg","level":"x","msg":"m"}', /non-numeric "level"/],
    ['bad parent', '@nix {"action":"start","id":1,"type":0,"parent":"p"}', /non-numeric "parent"/],
  ];
  it.each(cases)('%s', (_name, line, reason) => {
    const rec = decodeLine(line);
    expect(rec.kind).toBe('invalid');
    if (rec.kind === 'invalid') expect(rec.reason).toMatch(reason);
  });

  it('treats other stderr lines as text, ANSI stripped', () => {
    expect(decodeLine('\u001b[31;1mwarning:\u001b[0m Git tree is dirty')).toEqual({ kind: 'text', text: 'warning: Git tree is dirty' });
    expect(decodeLine('')).toEqual({ kind: 'text', text: '' });
  });

  it('bounds the sample kept of a giant invalid line', () => {
    const rec = decodeLine('@nix {' + 'x'.repeat(100_000));
    expect(rec.kind === 'invalid' && rec.sample.length).toBeLessThanOrEqual(201);
  });

  it('counts what it sees', () => {
    const d = createDecoder();
    for (const l of ['@nix {', 'plain', realStart, '@nix {"action":"start","id":5,"type":999,"text":""}']) d.decode(l);
    expect(d.stats).toEqual({ records: 2, text: 1, invalid: 1, unknownTypes: 1 });
  });
});

describe('every activity and result type', () => {
  const activityTypes = [0, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113];
  it.each(activityTypes)('activity type %i decodes as known', (type) => {
    const d = createDecoder();
    expect(d.decode(`@nix {"action":"start","id":7,"level":0,"text":"t","type":${type}}`)).toMatchObject({ kind: 'start', type });
    expect(d.stats.unknownTypes).toBe(0);
  });
  const resultTypes = Object.values(ResultType);
  it.each(resultTypes)('result type %i decodes as known', (type) => {
    const d = createDecoder();
    expect(d.decode(`@nix {"action":"result","fields":[1,"a"],"id":7,"type":${type}}`)).toMatchObject({ kind: 'result', type, fields: [1, 'a'] });
    expect(d.stats.unknownTypes).toBe(0);
  });
  it("keeps Determinate Nix's payload form of BuildResult", () => {
    const rec = decodeLine('@nix {"action":"result","id":7,"payload":{"success":true,"status":"Built"},"type":110}');
    expect(rec).toEqual({ kind: 'result', id: '7', type: 110, fields: [], payload: { success: true, status: 'Built' } });
  });
});

describe('the fast path for common records', () => {
  it('agrees with the general path on every line of every real capture', async () => {
    const { fastDecode } = await import('../../src/ingest/decode-fast.js');
    const { readdirSync } = await import('node:fs');
    const dirs = ['tests/fixtures/nix-2.8', 'tests/fixtures/captures'];
    let taken = 0;
    for (const dir of dirs) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
        for (const line of (await import('node:fs')).readFileSync(`${dir}/${file}`, 'utf8').split('\n')) {
          if (!line.startsWith('@nix ')) continue;
          const fast = fastDecode(line.slice(5));
          if (fast === null) continue;
          taken++;
          const slow = decodeLine('@nix ' + JSON.stringify(JSON.parse(line.slice(5)), null, 1)); // forces the general path
          expect(fast).toEqual(slow);
        }
      }
    }
    expect(taken).toBeGreaterThan(10_000);
  });

  it('falls back on anything unexpected', async () => {
    const { fastDecode } = await import('../../src/ingest/decode-fast.js');
    for (const json of [
      '{"action":"result","fields":[{"a":1}],"id":1,"type":101}',
      '{"action":"result","fields":["x"],"id":01,"type":101}',
      '{"action":"result","fields":["x"],"id":1,"type":101,"payload":{}}',
      '{"action":"msg","level":0,"msg":"a","raw_msg":"a"}',
      '{"action":"msg","level":-1,"msg":"a"}',
      '{"action":"stop","id":1.5}',
    ]) expect(fastDecode(json)).toBeNull();
  });
});
