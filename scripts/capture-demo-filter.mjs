#!/usr/bin/env node
// Keeps, in each ps sample of a capture, only the rows of one build: the nix-daemon, the worker serving the client
// (the one whose builders ran during the client's life; found as the worker started right after the client), its
// descendants, and the client with its own ancestors. Rows are copied unchanged.
//   node scripts/capture-demo-filter.mjs PS_CAPTURE CLIENT_PID > filtered
import { readFileSync } from 'node:fs';

const [file, clientArg] = process.argv.slice(2);
const client = Number(clientArg);
const blocks = readFileSync(file, 'utf8').split(/(?=^=== )/m);
const ROW = /^\s*(\d+)\s+(\d+)\s/;
const parse = (b) => b.split('\n').map((line) => ({ line, m: ROW.exec(line) }));

// The worker: a nix-daemon child whose parent is the main daemon and that first appears once the client exists.
let worker = null;
let mainPid = null;
for (const b of blocks) {
  const rows = parse(b).filter((r) => r.m);
  if (!rows.some((r) => Number(r.m[1]) === client)) continue;
  // Debian's daemon (its argv is `nix-daemon` or /usr/bin/nix-daemon), not another Nix's daemon on the machine.
  const main = rows.find((r) => Number(r.m[2]) === 1 && /\s(\/usr\/bin\/)?nix-daemon\s*$/.test(r.line));
  mainPid = main ? Number(main.m[1]) : null;
  const cand = rows.filter((r) => Number(r.m[2]) === mainPid && /nix-daemon/.test(r.line));
  if (cand.length > 0) { worker = Math.max(...cand.map((r) => Number(r.m[1]))); break; }
}
if (worker === null) { process.stderr.write('no worker found for the client\n'); process.exit(1); }

const out = [];
let started = false;
for (const b of blocks) {
  // Samples before the client appears say nothing about this build.
  if (!started && !parse(b).some((r) => r.m && Number(r.m[1]) === client)) continue;
  started = true;
  const rows = parse(b);
  const parent = new Map(rows.filter((r) => r.m).map((r) => [Number(r.m[1]), Number(r.m[2])]));
  // The daemon itself stays in every sample, before and after this client's worker lives.
  const keep = new Set([client, worker, mainPid]);
  for (let p = parent.get(client); p !== undefined && p > 0; p = parent.get(p)) keep.add(p);
  const main = parent.get(worker);
  if (main !== undefined) keep.add(main);
  const under = (pid) => { for (let p = pid; p !== undefined && p > 0; p = parent.get(p)) if (p === worker || p === client) return true; return false; };
  for (const r of rows) {
    if (!r.m) { out.push(r.line); continue; }
    const pid = Number(r.m[1]);
    if (keep.has(pid) || under(pid)) out.push(r.line);
  }
}
process.stdout.write(out.join('\n').replace(/\n*$/, '\n'));
