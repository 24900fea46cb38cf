// Nix 2.30.5 (/opt/nix-new) for the jlp benchmark: its daemon started as NixOS does (`nix-daemon --daemon`) with a
// nix.conf of our own, under /tmp/nix-new.lock (the daemon socket and store are shared with other test runs).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NIX_NEW_BIN = '/opt/nix-new/bin';
const SOCKET = '/nix-new/var/nix/daemon-socket/socket';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function requireTools(): void {
  if (process.getuid?.() !== 0) throw new Error('the jlp benchmark runs as root (it starts nix-daemon and straces it)');
  if (!existsSync(`${NIX_NEW_BIN}/nix-daemon`)) throw new Error('Nix 2.30.5 is not in /opt/nix-new: run ../shared/nix-new/install.sh');
  if (spawnSync('strace', ['-V'], { stdio: 'ignore' }).status !== 0) throw new Error('strace is missing: apt-get install strace (.ci/run does)');
}

/** Holds /tmp/nix-new.lock until release() (a flock child; the lock also goes when this process dies). */
export async function lock(): Promise<() => Promise<void>> {
  const child = spawn('flock', ['-w', '600', '/tmp/nix-new.lock', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => { if (c.includes('locked')) resolve(); });
    child.once('exit', (code) => reject(new Error(`flock exited ${code}`)));
  });
  return () => new Promise((resolve) => { child.once('exit', () => resolve()); child.stdin.end(); });
}

const answers = (path: string): Promise<boolean> => new Promise((resolve) => {
  const s = connect(path);
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

export type NixNew = { readonly pid: number; readonly confDir: string; stop(): Promise<void> };

function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(e));
    } catch { /* gone */ }
  }
  return out;
}

export async function startNixNew(jsonLogPath: string | null): Promise<NixNew> {
  if (await answers(SOCKET)) throw new Error(`a nix-new daemon already answers on ${SOCKET}: stop it first`);
  const confDir = mkdtempSync(join(tmpdir(), 'nix-btm-bench-conf-'));
  chmodSync(confDir, 0o755);
  writeFileSync(join(confDir, 'nix.conf'), ['build-users-group = nixbldnew', 'sandbox = false', 'substituters =',
    'experimental-features = nix-command', 'max-jobs = 2', ...(jsonLogPath ? [`json-log-path = ${jsonLogPath}`] : [])].join('\n') + '\n');
  const out = openSync(join(confDir, 'daemon.log'), 'a');
  const child: ChildProcess = spawn(`${NIX_NEW_BIN}/nix-daemon`, ['--daemon'], { env: { ...process.env, NIX_CONF_DIR: confDir }, stdio: ['ignore', out, out], detached: true });
  const pid = child.pid ?? -1;
  for (let i = 0; !(await answers(SOCKET)); i++) {
    if (i > 400) throw new Error('nix-daemon --daemon did not answer in 20 s');
    await sleep(50);
  }
  return {
    pid, confDir,
    stop: async () => {
      const kids = childPids(pid);
      for (const p of [pid, ...kids]) { try { process.kill(p, 'SIGTERM'); } catch { /* gone */ } }
      await new Promise<void>((r) => { if (child.exitCode !== null || child.signalCode !== null) r(); else child.once('exit', () => r()); });
      rmSync(confDir, { recursive: true, force: true });
    },
  };
}

/** lines: log lines; work: shell arithmetic steps between two lines (CPU work, as a compiler does between messages). */
export const BENCH_EXPR = `{ nonce, lines, work }: builtins.derivation {
  name = "btm-jlp-bench"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
  inherit nonce lines work;
  args = [ "-c" ''
    i=0
    while [ $i -lt $lines ]; do
      i=$((i+1)); j=0
      while [ $j -lt $work ]; do j=$((j+1)); done
      echo "jlp bench line $i of $lines: some build output of ordinary length"
    done
    mkdir -p $out
  '' ];
}
`;
