// Child process, run as a reader of another user (the ring's group): tries everything that used to let a group
// member forge records or kill the writer, and reports what the kernel answered. Out: { tried: { name: code } }.
import { openSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

type Options = { readonly path: string };

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const attempt = (what: () => void): string => {
  try {
    what();
    return 'done';
  } catch (error) {
    return String((error as { code?: unknown }).code ?? error);
  }
};
const tried = {
  openForWriting: attempt(() => openSync(o.path, 'r+')),
  truncate: attempt(() => truncateSync(o.path, 4096)),
  unlink: attempt(() => unlinkSync(o.path)),
  renameOver: attempt(() => renameSync(o.path, `${o.path}.moved`)),
  createBeside: attempt(() => writeFileSync(join(dirname(o.path), 'forged.ring'), 'x')),
};
process.send?.({ tried });
process.disconnect?.();
