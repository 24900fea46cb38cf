// How many builds a job may run at once (Nix's max-jobs), for the plan ETA: the client's own `-j N`,
// `--max-jobs N` or `--option max-jobs N`, else nix.conf's `max-jobs`, else Nix's default of 1; `auto` is the
// machine's cores. Pure: the caller reads nix.conf and counts the cores.

/** max-jobs as a setting's value: a count, `auto` (the cores), or null when it is neither. */
function jobsValue(value: string | undefined, cores: number): number | null {
  if (value === undefined) return null;
  if (value === 'auto') return Math.max(1, cores);
  return /^\d{1,6}$/.test(value) ? Number(value) : null;
}

/** The max-jobs a command line asks for, or null when it does not say. The last one given wins, as in Nix. */
export function maxJobsOfCommand(command: string, cores: number): number | null {
  const args = command.split(/\s+/).filter((a) => a !== '');
  let jobs: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    let v: number | null = null;
    if (a === '-j' || a === '--max-jobs') v = jobsValue(args[i + 1], cores);
    else if (/^-j\d+$/.test(a)) v = Number(a.slice(2));
    else if (a.startsWith('--max-jobs=')) v = jobsValue(a.slice('--max-jobs='.length), cores);
    else if (a === '--option' && args[i + 1] === 'max-jobs') v = jobsValue(args[i + 2], cores);
    if (v !== null) jobs = v;
  }
  return jobs;
}

/** nix.conf's max-jobs (the text of the file, `key = value` lines), or Nix's default of 1. */
export function maxJobsOfConf(confText: string, cores: number): number {
  let jobs: number | null = null;
  for (const raw of confText.split('\n')) {
    const m = /^\s*max-jobs\s*=\s*(\S+)/.exec(raw.replace(/#.*/, ''));
    if (m) jobs = jobsValue(m[1], cores) ?? jobs;
  }
  return jobs ?? 1;
}

/**
 * Build slots for a job's plan: what its command asks for, else the configured max-jobs; never fewer than the
 * builds it has been seen running at once (a daemon's own setting may be higher than what the client can see).
 */
export function buildSlots(command: string, confJobs: number, observed: number, cores: number): number {
  // max-jobs 0 means "build nothing locally" (remote builders only): their slots are unknown, so count what runs.
  const asked = maxJobsOfCommand(command, cores) ?? confJobs;
  return Math.max(1, asked, observed);
}
