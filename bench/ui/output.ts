// Output cost against htop, in the same run and terminal size: bytes per frame when one row changes and bytes per
// second while idle. htop 3 (Debian) is run with an empty htoprc (HTOPRC: its defaults) and -p, listing a few idle
// processes like our quiet Nix list (idle), or with no meters and one busy process (one row changes per refresh).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureHtop, ptyBytes } from './pty-bytes.js';
import { round } from '../stats.js';

const SIZE = { columns: 120, rows: 40 };
const WARMUP_MS = 7000;
const WINDOW_MS = 8000;

export type OutputFigures = {
  readonly bytesPerFrameOneRowChange: number;
  readonly bytesPerSecondIdle: number;
  readonly htopBytesPerFrameOneRowChange: number | null;
  readonly htopBytesPerSecondIdle: number | null;
};

const hasTmux = (): boolean => { try { execFileSync('tmux', ['-V'], { stdio: 'ignore' }); return true; } catch { return false; } };

export async function outputFigures(log: (line: string) => void): Promise<OutputFigures | null> {
  if (!hasTmux()) { log('output: tmux missing, not measured'); return null; }
  const child = join(dirname(fileURLToPath(import.meta.url)), 'pty-child.js');
  const ours = (mode: string): string => `${process.execPath} ${child} ${mode}`;
  const rowBytes = await ptyBytes({ command: ours('row'), ...SIZE }, WARMUP_MS, WINDOW_MS);
  const idleBytes = await ptyBytes({ command: ours('idle'), ...SIZE }, WARMUP_MS, WINDOW_MS);
  const oursRow = rowBytes / (WINDOW_MS / 200);
  const oursIdle = idleBytes / (WINDOW_MS / 1000);
  let htopRow: number | null = null;
  let htopIdle: number | null = null;
  const htop = ensureHtop();
  if (htop) {
    const dir = mkdtempSync(join(tmpdir(), 'nix-btm-htop-'));
    const busy = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    const idle = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      const noMeters = join(dir, 'no-meters');
      writeFileSync(noMeters, 'left_meters=\nleft_meter_modes=\nright_meters=\nright_meter_modes=\nshow_program_path=1\n');
      const defaults = join(dir, 'defaults');
      writeFileSync(defaults, '');
      // 0.2 s refresh (-d 2) of one busy process (its CPU% and TIME+ change), no meters: one row per frame.
      const hr = await ptyBytes({ command: `${htop} -d 2 -p ${busy.pid}`, env: { HTOPRC: noMeters, TERM: 'screen' }, ...SIZE }, WARMUP_MS, WINDOW_MS);
      htopRow = hr / (WINDOW_MS / 200);
      // Default meters, 1 s refresh, a quiet list (init and a sleeping process).
      htopIdle = (await ptyBytes({ command: `${htop} -d 10 -p 1,${idle.pid}`, env: { HTOPRC: defaults, TERM: 'screen' }, ...SIZE }, WARMUP_MS, WINDOW_MS)) / (WINDOW_MS / 1000);
    } finally {
      busy.kill('SIGKILL');
      idle.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  } else log('output: htop could not be installed, not measured');
  const f: OutputFigures = {
    bytesPerFrameOneRowChange: round(oursRow, 0), bytesPerSecondIdle: round(oursIdle, 0),
    htopBytesPerFrameOneRowChange: htopRow === null ? null : round(htopRow, 0), htopBytesPerSecondIdle: htopIdle === null ? null : round(htopIdle, 0),
  };
  log(`output at ${SIZE.columns}x${SIZE.rows}: one row changing ${f.bytesPerFrameOneRowChange} B/frame (htop ${f.htopBytesPerFrameOneRowChange ?? 'n/a'}), ` +
    `idle ${f.bytesPerSecondIdle} B/s (htop ${f.htopBytesPerSecondIdle ?? 'n/a'})` +
    (htopRow && htopIdle ? `; ratio x${round(oursRow / htopRow, 2)} per frame, x${round(oursIdle / Math.max(1, htopIdle), 2)} idle` : ''));
  return f;
}
