// `nix-btm proxy`: what `nix-btm --host` runs on the remote machine over ssh (stdio only; no port is opened).
import type { CommandModule } from 'yargs';
import { askShortSlices } from '../addon/sched.js';
import { clientRuntimeDir } from '../client/ensure.js';
import { pathsIn } from '../protocol/paths.js';
import { runProxy } from '../remote/proxy.js';

type Args = { 'runtime-dir'?: string };

export const proxyCommand: CommandModule<object, Args> = {
  command: 'proxy',
  describe: "Speak the daemon's protocol on stdin/stdout (run by `nix-btm --host` over ssh)",
  builder: (y) => y.option('runtime-dir', { type: 'string', describe: "The daemon's runtime dir on this machine" }) as never,
  handler: async (args) => {
    // A closed ssh channel shows as EPIPE on stdout: the proxy ends, it never throws at the user.
    process.stdout.on('error', () => undefined);
    // This thread wakes per ring burst, writes it to ssh and sleeps: a short slice lets that wake-up preempt a busy
    // task at once (measured in `npm run bench` key `hosts`: the ring-wake-to-stdout hop was the tail).
    askShortSlices(100);
    await runProxy({ controlPath: pathsIn(clientRuntimeDir(args['runtime-dir'])).control, input: process.stdin, output: process.stdout });
    process.exit(0);
  },
};
