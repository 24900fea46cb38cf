// `nix-btm proxy`: what `nix-btm --host` runs on the remote machine over ssh (stdio only; no port is opened).
import type { CommandModule } from 'yargs';
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
    await runProxy({ controlPath: pathsIn(clientRuntimeDir(args['runtime-dir'])).control, input: process.stdin, output: process.stdout });
    process.exit(0);
  },
};
