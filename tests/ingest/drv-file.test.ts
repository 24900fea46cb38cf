import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseATerm, parseATermAsync } from '../../src/ingest/aterm.js';
import { MAX_DRV_BYTES, checkValidity, createDrvReader, defaultDrvSource, notAStoreDrv, outputsValid, parseDrv } from '../../src/ingest/drv-file.js';
import { FIXTURES, which } from './proc-helpers.js';
import { asRoot } from '../helpers.js';

const DRV_DIR = join(FIXTURES, 'drv');
const tmp = mkdtempSync(join(tmpdir(), 'btm-drv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Shown = {
  outputs: Record<string, { path: string }>; inputDrvs: Record<string, string[]>; system: string;
  args: string[]; env: Record<string, string>;
};

/** `nix show-derivation` output: Nix's own reading of the same file. */
function shown(json: string): [string, Shown] {
  const [entry] = Object.entries(JSON.parse(json) as Record<string, Shown>);
  if (!entry) throw new Error('empty show-derivation');
  return entry;
}

/** Our reading must agree with Nix's on everything DrvInfo holds, and on the raw args and env (the escapes). */
function expectSameAsNix(text: string, json: string): void {
  const [drvPath, nix] = shown(json);
  const parsed = parseDrv(text, drvPath);
  if (!parsed.ok) throw new Error(parsed.reason);
  expect(parsed.info).toEqual({
    drvPath, name: nix.env.name, system: nix.system, inputDrvs: Object.keys(nix.inputDrvs),
    outputs: Object.fromEntries(Object.entries(nix.outputs).map(([k, v]) => [k, v.path])),
  });
  const term = parseATerm(text);
  if (!term.ok || term.term.kind !== 'app') throw new Error('not an app');
  const [, , , , , args, env] = term.term.args;
  const strs = (t: typeof args) => (t?.kind === 'list' ? t.items.map((i) => (i.kind === 'str' ? i.value : '?')) : []);
  expect(strs(args)).toEqual(nix.args);
  const pairs = env?.kind === 'list' ? env.items.map((i) => (i.kind === 'tuple' ? i.items.map((s) => (s.kind === 'str' ? s.value : '?')) : [])) : [];
  expect(Object.fromEntries(pairs)).toEqual(nix.env);
}

describe('parseDrv on real .drv files captured from Nix 2.8', () => {
  const drvs = readdirSync(DRV_DIR).filter((f) => f.endsWith('.drv'));

  it.each(drvs)('reads %s as nix show-derivation does', (file) => {
    const json = readFileSync(join(DRV_DIR, file.replace(/\.drv$/, '.show-derivation.json')), 'utf8');
    expectSameAsNix(readFileSync(join(DRV_DIR, file), 'utf8'), json);
  });

  it('keeps escaped quotes, backslashes, newlines, CR and tabs', () => {
    const text = readFileSync(join(DRV_DIR, 'dhpr9z3b06n288l7j52il2qkhjx5alag-y-1.0.drv'), 'utf8');
    const term = parseATerm(text);
    expect(term.ok && JSON.stringify(term.term).includes('tab\\there cr\\rhere (parens) \\"q\\" \\\\ [brackets],')).toBe(true);
    expect(text.length).toBeGreaterThan(150_000);
  });

  it('names the derivation from its path when env has no name', () => {
    const r = parseDrv('Derive([("out","/nix/store/a-x","","")],[],[],"x86_64-linux","/bin/sh",[],[])',
      '/nix/store/rxygrf05qp3v9cazgsyv43m30pqzzl2n-x.drv');
    expect(r).toEqual({ ok: true, info: { drvPath: '/nix/store/rxygrf05qp3v9cazgsyv43m30pqzzl2n-x.drv', name: 'x',
      outputs: { out: '/nix/store/a-x' }, inputDrvs: [], system: 'x86_64-linux' } });
  });

  it('reads dynamic-derivation inputs, (outputs, dynamicOutputs) pairs', () => {
    const r = parseDrv('DrvWithVersion("xp-dyn-drv",[("out","","r:sha256","")],[("/nix/store/b-y.drv",(["out"],[]))],[],"x","b",[],[("name","z")])', '/nix/store/c-z.drv');
    expect(r.ok && r.info).toMatchObject({ name: 'z', inputDrvs: ['/nix/store/b-y.drv'], outputs: { out: '' } });
  });
});

describe.runIf(which('nix-instantiate') && which('nix'))('parseDrv on a .drv instantiated now', () => {
  it('agrees with nix show-derivation', () => {
    const expr = 'builtins.derivation {name="x"; system=builtins.currentSystem; builder="/bin/sh"; ' +
      'args=["-c" "echo \\"q\\\\\\\\ \\\\n\\" > $out"]; outputs=["out" "dev"];}';
    const drvPath = spawnSync('nix-instantiate', ['-E', expr], { encoding: 'utf8' }).stdout.trim();
    const json = spawnSync('nix', ['show-derivation', drvPath], { encoding: 'utf8' }).stdout;
    expect(drvPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-x\.drv$/);
    expectSameAsNix(readFileSync(drvPath, 'utf8'), json);
    expect(shown(json)[1].args[1]).toBe('echo "q\\\\ \\n" > $out');
  });
});

describe('parseDrv on garbage', () => {
  const real = readFileSync(join(DRV_DIR, 'dhpr9z3b06n288l7j52il2qkhjx5alag-y-1.0.drv'), 'utf8');
  const cases: Array<[string, string, RegExp]> = [
    ['empty', '', /unexpected end/],
    ['truncated real file', real.slice(0, real.length / 2), /unterminated string|unexpected end/],
    ['not a derivation', 'Foo("a")', /top term is Foo/],
    ['a bare list', '["a"]', /top term is a list/],
    ['too few fields', 'Derive([],[],[])', /3 fields/],
    ['outputs not tuples', 'Derive(["x"],[],[],"s","b",[],[])', /outputs/],
    ['env value not a string', 'Derive([],[],[],"s","b",[],[("a",["b"])])', /env/],
    ['system not a string', 'Derive([],[],[],[],"b",[],[])', /system/],
    ['trailing text', `${real}junk`, /trailing/],
    ['binary', '\u0000\u0001\u00ff(', /unexpected/],
    ['deep nesting', 'Derive(' + '['.repeat(100_000), /nested deeper/],
    ['dangling escape', 'Derive(["\\', /unterminated/],
  ];
  it.each(cases)('%s -> a reason, not a throw', (_label, text, reason) => {
    const r = parseDrv(text, '/nix/store/x-y.drv');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('async parsing gives the same result as the synchronous one, in slices', async () => {
    for (const text of [real, `${real}junk`, 'Derive(' + '['.repeat(100), '']) {
      expect(await parseATermAsync(text, 1000)).toEqual(parseATerm(text));
    }
  });

  it('stays linear on a long run of escapes', () => {
    const r = parseDrv(`Derive([],[],[],"${'\\\\'.repeat(500_000)}","b",[],[])`, '/nix/store/x-y.drv');
    expect(r.ok && r.info.system.length).toBe(500_000);
  });
});

describe('readDrv', () => {
  const uid = process.getuid?.() ?? 0;
  const fixtures = { storeDirs: [DRV_DIR], owners: [statSync(DRV_DIR).uid] };

  it('reads a real file, caches it, and gives a reason for a missing one', async () => {
    const reader = createDrvReader(2, fixtures);
    const path = join(DRV_DIR, 'rxygrf05qp3v9cazgsyv43m30pqzzl2n-x.drv');
    const first = reader.read(path);
    expect(reader.read(path)).toBe(first);
    expect(await first).toMatchObject({ ok: true, info: { name: 'x', outputs: { out: expect.any(String), dev: expect.any(String) } } });
    const absent = join(DRV_DIR, '00000000000000000000000000000000-absent.drv');
    expect(await reader.read(absent)).toEqual({ ok: false, reason: 'cannot read: ENOENT' });
  });

  it('opens only <store>/<32 base-32 chars>-<name>.drv: a regular file, no symlink, no FIFO, owned by the store\'s owner, at most 4 MiB', async () => {
    const store = mkdtempSync(join(tmpdir(), 'btm-store-'));
    const real = readFileSync(join(DRV_DIR, 'rxygrf05qp3v9cazgsyv43m30pqzzl2n-x.drv'));
    const at = (name: string): string => join(store, `${'a'.repeat(31)}${name}`);
    const reader = createDrvReader(16, { storeDirs: [store], owners: [uid] });
    const reason = async (path: string): Promise<string> => {
      const r = await reader.read(path);
      return r.ok ? 'ok' : r.reason;
    };
    try {
      writeFileSync(at('0-good.drv'), real);
      expect(await reason(at('0-good.drv'))).toBe('ok');
      expect(await reason(`/etc/passwd`)).toBe(`not in the store (${store})`);
      expect(await reason(`${store}/../${basename(store)}/${'a'.repeat(31)}0-good.drv`)).toBe(`not in the store (${store})`);
      expect(await reason(join(tmp, `${'a'.repeat(32)}-x.drv`))).toBe(`not in the store (${store})`);
      expect(await reason(join(store, 'x.drv'))).toBe('not a store derivation name (<hash>-<name>.drv)');
      expect(await reason(at('e-bad-alphabet.drv'))).toBe('not a store derivation name (<hash>-<name>.drv)');
      expect(await reason(at('0-not-a-drv'))).toBe('not a store derivation name (<hash>-<name>.drv)');
      // A FIFO would block open() and read() forever: refused at once, and this test would hang otherwise.
      execFileSync('mkfifo', [at('1-fifo.drv')]);
      expect(await reason(at('1-fifo.drv'))).toBe('not a regular file');
      symlinkSync(at('0-good.drv'), at('2-link.drv'));
      expect(await reason(at('2-link.drv'))).toBe('cannot read: ELOOP');
      mkdirSync(at('3-dir.drv'));
      expect(await reason(at('3-dir.drv'))).toBe('not a regular file');
      writeFileSync(at('4-big.drv'), Buffer.alloc(MAX_DRV_BYTES + 1, 0x20));
      expect(await reason(at('4-big.drv'))).toBe(`too big: ${MAX_DRV_BYTES + 1} bytes (limit ${MAX_DRV_BYTES})`);
      const other = createDrvReader(16, { storeDirs: [store], owners: [uid + 1] });
      expect(await other.read(at('0-good.drv'))).toEqual({ ok: false, reason: `owned by uid ${uid}, not by the store's owner` });
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });

  it('the default source is /nix/store (and $NIX_STORE_DIR), owned by root or this user', () => {
    expect(defaultDrvSource({})).toEqual({ storeDirs: ['/nix/store'], owners: [...new Set([0, uid])] });
    expect(defaultDrvSource({ NIX_STORE_DIR: '/nix-new/store/' }).storeDirs).toEqual(['/nix/store', '/nix-new/store']);
    expect(notAStoreDrv('/nix/store/rxygrf05qp3v9cazgsyv43m30pqzzl2n-x.drv', ['/nix/store'])).toBeNull();
  });
});

describe('outputsValid', () => {
  it('wants every output present with the store\'s canonical mtime', () => {
    const a = join(tmp, 'out-a');
    const b = join(tmp, 'out-b');
    writeFileSync(a, 'x');
    writeFileSync(b, 'y');
    utimesSync(a, 1, 1);
    expect(outputsValid({ out: a })).toBe(true);
    expect(outputsValid({ out: a, dev: b })).toBe(false);
    expect(outputsValid({ out: a, dev: join(tmp, 'absent') })).toBe(false);
    expect(outputsValid({})).toBe(false);
    expect(outputsValid({ out: '' })).toBe(false);
  });

  it.runIf(which('nix-store') && asRoot('outputsValid on real builds: builds into the store as root, where a failed build leaves its output (sandbox = false)'))('tells a real built output from the leftover of a failed build', async () => {
    const nonce = `btm-${process.pid}-${Date.now()}`;
    const build = (name: string, script: string) => {
      const expr = `builtins.derivation { name = "${name}"; nonce = "${nonce}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "${script}" ]; }`;
      const drv = spawnSync('nix-instantiate', ['-E', expr], { encoding: 'utf8' }).stdout.trim();
      spawnSync('nix-store', ['--realise', drv], { encoding: 'utf8' });
      return spawnSync('nix-store', ['--query', '--outputs', drv], { encoding: 'utf8' }).stdout.trim();
    };
    const good = build('btm-good', 'echo ok > $out');
    const bad = build('btm-bad', 'echo partial > $out; exit 1');
    expect(outputsValid({ out: good })).toBe(true);
    expect(await checkValidity([good])).toBe(true);
    expect(outputsValid({ out: bad })).toBe(false); // with sandbox = false the file is there, yet not valid
    expect(await checkValidity([bad])).toBe(false);
  });
});
