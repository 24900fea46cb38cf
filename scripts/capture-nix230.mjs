#!/usr/bin/env node
// Captures real Nix 2.30.5 json-log-path streams, per connection, as a listener receives them, with the store's
// ground truth. Run as root with Nix 2.30.5 installed (../shared/nix-new) and the addon built (npm run build):
//
//   node scripts/capture-nix230.mjs [SCENARIO...]     (default: all; writes tests/fixtures/nix-2.30/<scenario>/)
//
// Each scenario dir gets: conn-N.jsonl (the bytes of connection N, exactly as read), connections.json (each
// connection's peer: SO_PEERCRED pid/uid and /proc cmdline at accept), arrival.jsonl (the order chunks arrived
// across connections: {"c":N,"bytes":B,"t":ms}), truth.json (the command, its exit, and for every derivation of
// the scenario whether its outputs are valid in /nix-new/store afterwards). nix-daemon is started as NixOS does
// (`nix-daemon --daemon`) with a nix.conf of its own whose json-log-path is the listener; under /tmp/nix-new.lock.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, 'tests/fixtures/nix-2.30');
const BIN = '/opt/nix-new/bin';
const SOCKET = '/nix-new/var/nix/daemon-socket/socket';
const native = createRequire(import.meta.url)(join(root, 'build/Release/nix_btm_native.node'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const storeEnv = { ...process.env, NIX_CONFIG: 'json-log-path =', NIX_REMOTE: '' };

function die(msg) { process.stderr.write(`capture-nix230: ${msg}\n`); process.exit(1); }
if (process.getuid() !== 0) die('run as root');
if (spawnSync(`${BIN}/nix`, ['--version'], { env: storeEnv }).status !== 0) die('Nix 2.30.5 not in /opt/nix-new: run ../shared/nix-new/install.sh');
for (const u of ['btm-global-a', 'btm-global-b']) {
  if (spawnSync('id', [u], { stdio: 'ignore' }).status !== 0) spawnSync('useradd', ['--create-home', u], { stdio: 'inherit' });
}

const answers = (p) => new Promise((resolve) => { const s = connect(p); s.once('connect', () => { s.destroy(); resolve(true); }); s.once('error', () => resolve(false)); });
const cmdline = (pid) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { return []; } };

/** A listener that writes each connection to its own file, as received. */
function recorder(sock, dir) {
  let n = 0;
  const conns = [];
  const t0 = Date.now();
  const server = createServer((c) => {
    const id = ++n;
    let cred = null;
    try { cred = native.peerCred(c._handle.fd); } catch { /* unknown peer */ }
    conns.push({ file: `conn-${id}.jsonl`, pid: cred?.pid ?? null, uid: cred?.uid ?? null, argv: cred ? cmdline(cred.pid) : [] });
    const fd = openSync(join(dir, `conn-${id}.jsonl`), 'w');
    c.on('data', (chunk) => {
      appendFileSync(fd, chunk);
      appendFileSync(join(dir, 'arrival.jsonl'), JSON.stringify({ c: id, bytes: chunk.length, t: Date.now() - t0 }) + '\n');
    });
  });
  return new Promise((resolve) => server.listen(sock, () => { chmodSync(sock, 0o666); resolve({ server, conns }); }));
}

async function withDaemon(sock, fn) {
  if (await answers(SOCKET)) die(`a nix-new daemon already answers on ${SOCKET}`);
  const conf = mkdtempSync(join(tmpdir(), 'capture-conf-'));
  chmodSync(conf, 0o755);
  writeFileSync(join(conf, 'nix.conf'), `build-users-group = nixbldnew\nsandbox = false\nsubstituters =\nexperimental-features = nix-command\nmax-jobs = 2\njson-log-path = ${sock}\n`);
  const d = spawn(`${BIN}/nix-daemon`, ['--daemon'], { env: { ...process.env, NIX_CONF_DIR: conf }, stdio: 'ignore', detached: true });
  while (!(await answers(SOCKET))) await sleep(50);
  try { return await fn(conf); } finally {
    d.kill('SIGTERM');
    await new Promise((r) => d.once('exit', r));
    rmSync(conf, { recursive: true, force: true });
  }
}

function nix(conf, expr, { cli, attr, args, user, keepGoing }) {
  const a = Object.entries(args).flatMap(([k, v]) => ['--argstr', k, v]);
  const argv = cli === 'nix-build'
    ? [`${BIN}/nix-build`, expr, '-A', attr, ...a, '--no-out-link', ...(keepGoing ? ['--keep-going'] : [])]
    : [`${BIN}/nix`, 'build', '-f', expr, attr, ...a, '--no-link', ...(keepGoing ? ['--keep-going'] : [])];
  const full = user ? ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', 'env', `HOME=/home/${user}`, ...argv] : argv;
  const child = spawn(full[0], full.slice(1), { env: { ...process.env, NIX_CONF_DIR: conf, NIX_REMOTE: 'daemon' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const done = new Promise((r) => child.once('close', (code, signal) => r({ code, signal, stderr })));
  return { child, done, argv: full };
}

function truthOf(expr, args, attrs) {
  const drvs = {};
  for (const attr of attrs) {
    const a = Object.entries(args).flatMap(([k, v]) => ['--argstr', k, v]);
    const drv = spawnSync(`${BIN}/nix-instantiate`, [expr, '-A', attr, ...a], { encoding: 'utf8', env: storeEnv }).stdout.trim();
    const outs = spawnSync(`${BIN}/nix-store`, ['-q', '--outputs', drv], { encoding: 'utf8', env: storeEnv }).stdout.trim().split('\n');
    const valid = outs.every((o) => spawnSync(`${BIN}/nix-store`, ['--check-validity', o], { stdio: 'ignore', env: storeEnv }).status === 0);
    drvs[drv] = { attr, name: drv.replace(/^.*?-/, '').replace(/\.drv$/, ''), outputs: outs, outputsValid: valid };
  }
  return drvs;
}

const nonce = () => `capture-${Date.now().toString(36)}`;
const ALL = ['graph', 'leafA', 'leafB', 'bad', 'good', 'needsBad', 'failing', 'shared', 'onlyA', 'onlyB', 'slow'];
const WIDE = ['wide', 'bad', ...Array.from({ length: 12 }, (_, i) => `wideLeaves.w${i}`)];

const SCENARIOS = {
  'legacy-root-graph': { what: 'root, legacy nix-build -A graph through the daemon (only the worker connects)',
    builds: [{ cli: 'nix-build', attr: 'graph', args: { sleep: '1' } }] },
  'newcli-root-graph': { what: 'root, nix build graph through the daemon (the client and its worker both connect)',
    builds: [{ cli: 'nix build', attr: 'graph', args: { sleep: '1' } }] },
  'newcli-user': { what: 'btm-global-a, nix build leafA through the daemon',
    builds: [{ cli: 'nix build', attr: 'leafA', args: { sleep: '0' }, user: 'btm-global-a' }] },
  'keep-going-failure': { what: 'root, nix-build -A failing --keep-going: bad exits 3, good builds, needs-bad never starts',
    builds: [{ cli: 'nix-build', attr: 'failing', args: { sleep: '2' }, keepGoing: true }] },
  'newcli-failure': { what: 'root, nix build failing without --keep-going: bad exits 3, good is killed',
    builds: [{ cli: 'nix build', attr: 'failing', args: { sleep: '5' } }] },
  'sigint': { what: 'root, nix build slow (sleep 30), SIGINT once its build runs',
    builds: [{ cli: 'nix build', attr: 'slow', args: { sleep: '30' }, sigintAfterMs: 3000 }] },
  'two-users-overlap': { what: 'btm-global-a nix-build -A onlyA and btm-global-b nix build onlyB at once; both need shared',
    builds: [{ cli: 'nix-build', attr: 'onlyA', args: { sleep: '3' }, user: 'btm-global-a' },
      { cli: 'nix build', attr: 'onlyB', args: { sleep: '3' }, user: 'btm-global-b' }] },
  'legacy-root-wide': { what: 'root, nix-build -A wide --keep-going: 12 leaves and bad (exits 3) under max-jobs 2; wide-top never starts',
    builds: [{ cli: 'nix-build', attr: 'wide', args: { sleep: '1' }, keepGoing: true }], attrs: WIDE },
};

const expr = join(OUT, 'btm230.nix');
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SCENARIOS);
const lock = spawn('flock', ['-w', '900', '/tmp/nix-new.lock', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
await new Promise((r) => lock.stdout.on('data', (c) => { if (String(c).includes('locked')) r(); }));
try {
  for (const name of chosen) {
    const sc = SCENARIOS[name] ?? die(`no scenario ${name}`);
    const dir = join(OUT, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const sockDir = mkdtempSync(join(tmpdir(), 'capture-sock-'));
    chmodSync(sockDir, 0o755);
    const sock = join(sockDir, 'nix-log.sock');
    const rec = await recorder(sock, dir);
    const n = nonce();
    const results = await withDaemon(sock, async (conf) => {
      const runs = sc.builds.map((b) => ({ b, run: nix(conf, expr, { ...b, args: { ...b.args, nonce: n } }) }));
      for (const { b, run } of runs) if (b.sigintAfterMs) setTimeout(() => run.child.kill('SIGINT'), b.sigintAfterMs);
      return Promise.all(runs.map(async ({ b, run }) => ({ ...(await run.done), argv: run.argv, user: b.user ?? 'root' })));
    });
    await sleep(500);
    rec.server.close();
    rmSync(sockDir, { recursive: true, force: true });
    const args = { ...sc.builds[0].args, nonce: n };
    const truth = { scenario: name, what: sc.what, nix: '2.30.5', nonce: n,
      runs: results.map((r) => ({ argv: r.argv.map((a) => a.replace(OUT, 'tests/fixtures/nix-2.30')), user: r.user, exitCode: r.code, signal: r.signal })),
      connections: rec.conns, drvs: truthOf(expr, args, sc.attrs ?? ALL) };
    writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth, null, 2) + '\n');
    writeFileSync(join(dir, 'connections.json'), JSON.stringify(rec.conns, null, 2) + '\n');
    process.stdout.write(`${name}: ${rec.conns.length} connections, exit ${results.map((r) => r.code ?? r.signal).join(',')}\n`);
  }
} finally {
  lock.stdin.end();
}
