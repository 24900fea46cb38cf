// Pure parsers for the /proc files the scanner reads; each returns null (or a default) on text it cannot read, never throws.

/** What /proc/PID/stat says about one process (fields as numbered in proc(5)). */
export type ProcStat = {
  readonly pid: number;
  /** Field 2, without its parentheses; may itself contain spaces and parentheses. */
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** Field 9: kernel flags (PF_KTHREAD marks kernel threads). */
  readonly flags: number;
  /** utime + stime, in clock ticks. */
  readonly ticks: number;
  /** Field 22: start time in clock ticks since boot. */
  readonly startTicks: number;
  readonly rssPages: number;
};

/** Splits at the first '(' and the LAST ')': comm is free text chosen by the process. */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After ") " come fields 3.. ; f[0] is field 3 (state).
  const f = text.slice(close + 2).split(' ');
  if (!Number.isInteger(pid) || f.length < 22) return null;
  const num = (i: number): number => Number(f[i]);
  const stat: ProcStat = {
    pid, comm: text.slice(open + 1, close), state: f[0] ?? '?',
    ppid: num(1), pgid: num(2), sid: num(3), flags: num(6),
    ticks: num(11) + num(12), startTicks: num(19), rssPages: num(21),
  };
  return Number.isFinite(stat.ticks + stat.startTicks + stat.ppid + stat.rssPages) ? stat : null;
}

/** Effective uid from /proc/PID/status ("Uid:\treal\teffective\tsaved\tfs"); the user ps shows. */
export function parseStatusUid(text: string): number | null {
  const at = text.indexOf('\nUid:');
  if (at < 0) return null;
  const end = text.indexOf('\n', at + 1);
  const fields = text.slice(at + 5, end < 0 ? undefined : end).trim().split(/\s+/);
  const uid = Number(fields[1] ?? fields[0]);
  return Number.isInteger(uid) ? uid : null;
}

/** NUL-separated argv; a process that rewrote its title may have one long argument with spaces. */
export function parseCmdline(text: string): string[] {
  if (text.length === 0) return [];
  const args = text.split('\0');
  if (args[args.length - 1] === '') args.pop();
  return args;
}

/** Busy and total jiffies of one CPU line of /proc/stat. */
export type CpuTimes = { readonly busy: number; readonly total: number };

export type SystemStat = {
  /** Per core, in /proc/stat order (cpu0, cpu1, ...). */
  readonly cores: readonly CpuTimes[];
  /** Boot time, seconds since the epoch (btime). */
  readonly bootTime: number;
};

export function parseSystemStat(text: string): SystemStat {
  const cores: CpuTimes[] = [];
  let bootTime = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu') && line.charCodeAt(3) >= 48 && line.charCodeAt(3) <= 57) {
      const v = line.split(/\s+/).slice(1).map(Number);
      const at = (i: number): number => (Number.isFinite(v[i]) ? (v[i] as number) : 0);
      // user nice system idle iowait irq softirq steal; guest time is already inside user.
      const idle = at(3) + at(4);
      const busy = at(0) + at(1) + at(2) + at(5) + at(6) + at(7);
      cores.push({ busy, total: busy + idle });
    } else if (line.startsWith('btime ')) {
      bootTime = Number(line.slice(6)) || 0;
    }
  }
  return { cores, bootTime };
}

/** Used = MemTotal - MemAvailable (the figure free(1) and htop show); bytes. */
export function parseMeminfo(text: string): { totalBytes: number; usedBytes: number } {
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const total = kb('MemTotal') ?? 0;
  const available = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0);
  return { totalBytes: total, usedBytes: Math.max(0, total - available) };
}

export function parseLoadavg(text: string): [number, number, number] {
  const [a, b, c] = text.split(' ').map(Number);
  const ok = (v: number | undefined): number => (v !== undefined && Number.isFinite(v) ? v : 0);
  return [ok(a), ok(b), ok(c)];
}

/** Real and effective uid from /proc/PID/status; null when the Uid line is missing. */
export function parseStatusUids(text: string): { real: number; effective: number } | null {
  const at = text.indexOf('\nUid:');
  if (at < 0) return null;
  const end = text.indexOf('\n', at + 1);
  const [real, effective] = text.slice(at + 5, end < 0 ? undefined : end).trim().split(/\s+/).map(Number);
  return Number.isInteger(real) && Number.isInteger(effective) ? { real: real!, effective: effective! } : null;
}
