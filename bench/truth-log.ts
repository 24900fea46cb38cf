// A GENERATED Nix 2.8 daemon log of N derivations (not a capture): the record shapes are those of the real capture
// tests/fixtures/captures/truth/daemon-wide-2000.jsonl (plan lines, Realise/Builds/CopyPaths, Build starts with
// [drv, "", 1, 1], BuildLogLine results, Builds Progress before each stop), repeated at any scale, with every 1000th
// build failing (`--keep-going` wording) and its dependents named in "dependencies ... failed to build".
const PID = 2574n << 32n;
const hash = (i: number): string => i.toString(36).padStart(32, '0').slice(-32).replace(/[eotu]/g, 'x');
export const generatedDrv = (i: number): string => `/nix/store/${hash(i)}-gen-cell-${i}.drv`;

export function generateLog(n: number): string {
  const out: string[] = [];
  const rec = (o: object): void => { out.push(`@nix ${JSON.stringify(o)}`); };
  let id = PID;
  const next = (): string => (id++).toString();
  rec({ action: 'msg', level: 3, msg: `these ${n} derivations will be built:` });
  for (let i = 0; i < n; i++) rec({ action: 'msg', level: 3, msg: `  ${generatedDrv(i)}` });
  const realise = next(), builds = next(), copies = next();
  rec({ action: 'start', id: Number(realise), level: 0, text: '', type: 102 });
  rec({ action: 'start', id: Number(builds), level: 0, text: '', type: 104 });
  rec({ action: 'start', id: Number(copies), level: 0, text: '', type: 103 });
  let done = 0, failed = 0;
  const progress = (running: number): void => rec({ action: 'result', fields: [done, n, running, failed], id: Number(builds), type: 105 });
  for (let i = 0; i < n; i++) {
    const drv = generatedDrv(i);
    const act = next();
    rec({ action: 'start', fields: [drv, '', 1, 1], id: Number(act), level: 3, text: `building '${drv}'`, type: 105 });
    progress(1);
    rec({ action: 'result', fields: [`starting gen-cell-${i}`], id: Number(act), type: 101 });
    if (i % 1000 === 999) {
      failed++;
      progress(0);
      rec({ action: 'msg', level: 0, msg: `\u001b[31;1merror:\u001b[0m builder for '\u001b[35;1m${drv}\u001b[0m' failed with exit code 3` });
    } else {
      done++;
      progress(0);
    }
    rec({ action: 'stop', id: Number(act) });
  }
  for (const a of [copies, builds, realise]) rec({ action: 'stop', id: Number(a) });
  return out.join('\n') + '\n';
}
