// Store ground truth for scripts/capture-truth.sh: `plan` before a run (what is valid already), `truth` after it
// (what is valid now, what the binary cache held, what Nix's own error records said). Store queries only, as root.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 }).trim();
const nixCmd = ['--extra-experimental-features', 'nix-command'];
const validSet = (paths) => {
  // --check-validity --print-invalid prints the invalid ones and exits 0.
  if (paths.length === 0) return new Set();
  const invalid = new Set(run('nix-store', ['--check-validity', '--print-invalid', ...paths]).split('\n').filter(Boolean));
  return new Set(paths.filter((p) => !invalid.has(p)));
};
const showDrvs = (drvs) => {
  const out = {};
  for (let i = 0; i < drvs.length; i += 500) Object.assign(out, JSON.parse(run('nix', [...nixCmd, 'show-derivation', ...drvs.slice(i, i + 500)])));
  return out;
};
const outputsOf = (d) => Object.fromEntries(Object.entries(d.outputs).map(([name, o]) => [name, o.path]));
// ANSI-stripped text of Nix's own error records (level-0 msg starting "error") and plain stderr error lines.
// eslint-disable-next-line no-control-regex
const strip = (s) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
function nixErrors(logPath) {
  const errors = [];
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (line.startsWith('@nix ')) {
      let rec;
      try { rec = JSON.parse(line.slice(5)); } catch { continue; }
      if (rec.action === 'msg' && rec.level === 0 && strip(rec.msg).startsWith('error')) errors.push(strip(rec.msg));
    } else if (strip(line).startsWith('error')) errors.push(strip(line));
  }
  return errors;
}

function plan({ expr, arg }) {
  const args = Object.fromEntries(arg.map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
  const argv = Object.entries(args).flatMap(([k, v]) => (k === 'count' ? ['--arg', k, v] : ['--argstr', k, v]));
  const topDrv = run('nix-instantiate', [expr, ...argv]).split('\n').pop();
  const closure = run('nix-store', ['-qR', topDrv]).split('\n').filter((p) => p.endsWith('.drv')).sort();
  const info = showDrvs(closure);
  const valid = validSet(closure.flatMap((d) => Object.values(outputsOf(info[d]))));
  const validBefore = closure.filter((d) => Object.values(outputsOf(info[d])).every((p) => valid.has(p)));
  return { expression: expr, args, topDrv, closure, validBefore };
}

const FAILING_ROLES = new Set(['fail', 'timeout', 'silence', 'hash-mismatch', 'missing-output', 'nondeterministic']);
const REASON = {
  fail: 'exit code 3', timeout: 'timed out after 3 seconds', silence: 'timed out after 2 seconds of silence',
  'hash-mismatch': 'hash mismatch in fixed-output derivation', 'missing-output': 'failed to produce output path',
  nondeterministic: 'may not be deterministic',
};

/** In the cache dir: `<hash>.narinfo` for the output, and the NAR file it names. */
function cacheHolds(cacheDir, outPath) {
  if (!cacheDir) return false;
  const hash = outPath.slice('/nix/store/'.length, '/nix/store/'.length + 32);
  const narinfo = `${cacheDir}/${hash}.narinfo`;
  if (!existsSync(narinfo)) return false;
  const url = /^URL: (.*)$/m.exec(readFileSync(narinfo, 'utf8'))?.[1];
  return url !== undefined && existsSync(`${cacheDir}/${url}`);
}

function expectedOf(o, p, drv, d, validNow, errors) {
  const outs = Object.values(outputsOf(d));
  const validAfter = outs.every((x) => validNow.has(x));
  const role = d.env.btmRole ?? 'ok';
  const named = errors.some((e) => e.includes(drv));
  const crashed = errors.some((e) => e.includes('unexpected end-of-file'));
  if (o.check !== undefined) {
    if (role === 'nondeterministic' && named) return { outcome: 'failed', reason: REASON[role] };
    return { outcome: 'valid' };
  }
  if (p.validBefore.includes(drv)) return { outcome: 'valid' };
  if (o.notbuilt !== undefined) return { outcome: 'not-built' };
  if (validAfter) return { outcome: outs.every((x) => cacheHolds(o.cache, x)) ? 'substituted' : 'built' };
  if (FAILING_ROLES.has(role) && named) return { outcome: 'failed', reason: REASON[role] };
  if (o.signal !== undefined || crashed) return { outcome: 'interrupted' };
  // Nix succeeded without it (e.g. its dependent was substituted): never needed, never built.
  if (Number(o.exit) === 0) return { outcome: 'not-built' };
  return { outcome: 'cancelled' };
}

function truth(p, o) {
  const info = showDrvs(p.closure);
  const validNow = validSet(p.closure.flatMap((d) => Object.values(outputsOf(info[d]))));
  const errors = nixErrors(o.log);
  const drvs = Object.fromEntries(p.closure.map((drv) => {
    const d = info[drv];
    const outputs = outputsOf(d);
    return [drv, {
      name: d.env.name, role: d.env.btmRole ?? 'ok', outputs,
      validBefore: p.validBefore.includes(drv),
      outputsValid: Object.values(outputs).every((x) => validNow.has(x)),
      inCache: Object.values(outputs).every((x) => cacheHolds(o.cache, x)),
      deps: Object.keys(d.inputDrvs).sort(),
      expected: expectedOf(o, p, drv, d, validNow, errors),
    }];
  }));
  return {
    capture: o.name, log: `${o.name}.jsonl`, command: o.command, user: o.user, nixRemote: o.remote || null,
    nixVersion: run('nix-build', ['--version']).replace(/^.* /, ''), exitCode: Number(o.exit), note: o.note,
    ...(o.signal ? { signal: o.signal } : {}), ...(o.concurrent ? { concurrentWith: o.concurrent } : {}),
    ...(o.cache ? { cache: o.cache } : {}),
    expression: 'nix/truth.nix', args: p.args, topDrv: p.topDrv, nixErrors: errors, drvs,
  };
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: {
  expr: { type: 'string' }, arg: { type: 'string', multiple: true, default: [] }, plan: { type: 'string' },
  name: { type: 'string' }, command: { type: 'string' }, user: { type: 'string' }, remote: { type: 'string' },
  exit: { type: 'string' }, note: { type: 'string' }, signal: { type: 'string' }, concurrent: { type: 'string' },
  cache: { type: 'string' }, check: { type: 'boolean' }, notbuilt: { type: 'boolean' }, log: { type: 'string' },
  out: { type: 'string' } } });
if (positionals[0] === 'plan') writeFileSync(values.out, JSON.stringify(plan(values)));
else writeFileSync(values.out, `${JSON.stringify(truth(JSON.parse(readFileSync(values.plan, 'utf8')), values), null, 2)}\n`);
