// This machine's configured max-jobs, read once from nix.conf (NIX_CONF_DIR, else /etc/nix), for the plan ETA.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { maxJobsOfConf } from '../history/slots.js';

let cached: number | null = null;

export const cores = (): number => availableParallelism();

export function configuredMaxJobs(): number {
  if (cached !== null) return cached;
  let text = '';
  try { text = readFileSync(join(process.env.NIX_CONF_DIR ?? '/etc/nix', 'nix.conf'), 'utf8'); } catch { /* Nix's defaults */ }
  cached = maxJobsOfConf(text, cores());
  return cached;
}
