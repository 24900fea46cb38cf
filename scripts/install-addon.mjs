#!/usr/bin/env node
// package.json "install" (and `npm run build`): builds the N-API addon with node-gyp against the running Node's own
// headers when they are installed (<prefix>/include/node, prefix from process.execPath: distro packages, the
// official tarballs, Nix's nodejs), so `npm ci` works offline. Otherwise node-gyp downloads them, as it always did.
// An explicit nodedir (npm config, $npm_config_nodedir: nix/package.nix sets it) always wins.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const prefix = dirname(dirname(process.execPath));
const headers = join(prefix, 'include', 'node', 'node_api.h');
const args = ['rebuild'];
if (process.env.npm_config_nodedir) {
  console.log(`install-addon: headers from nodedir ${process.env.npm_config_nodedir}`);
} else if (existsSync(headers)) {
  args.push(`--nodedir=${prefix}`);
  console.log(`install-addon: headers of the running Node (${process.version}) from ${dirname(headers)}`);
} else {
  console.log(`install-addon: no ${headers}: node-gyp downloads the headers of Node ${process.version}`);
}
// npm runs lifecycle scripts with its own node-gyp in $npm_config_node_gyp; without npm, node-gyp from PATH.
const gyp = process.env.npm_config_node_gyp;
const r = gyp ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' }) : spawnSync('node-gyp', args, { stdio: 'inherit' });
if (r.error) {
  console.error(`install-addon: cannot run node-gyp: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
