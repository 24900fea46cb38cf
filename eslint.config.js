import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Which folders each folder of src/ may import (docs/architecture.md's table and picture, enforced). Layers, lowest
// first: state and addon (the package root, the native addon's only loader); ingest (the only reader of /proc), ring,
// protocol, history; daemon (the server) and client (its other end); remote; ui; feeds (what a UI reads from);
// widget, components. `commands/` wires everything and is not listed.
const FOLDERS = ['addon', 'state', 'ingest', 'ring', 'protocol', 'history', 'daemon', 'client', 'remote', 'ui', 'feeds', 'widget', 'components', 'commands'];
const MAY_IMPORT = {
  addon: [],
  state: [],
  ingest: ['state'],
  ring: ['addon'],
  protocol: ['state', 'ingest', 'ring'],
  history: ['state', 'addon'],
  daemon: ['state', 'addon', 'ingest', 'ring', 'protocol', 'history'],
  client: ['state', 'addon', 'ingest', 'ring', 'protocol', 'history'],
  remote: ['state', 'ingest', 'ring', 'protocol', 'client'],
  ui: ['state', 'protocol', 'history', 'remote'],
  feeds: ['state', 'ingest', 'protocol', 'client', 'remote', 'ui'],
  widget: ['state', 'ingest', 'history', 'ui'],
  components: ['state', 'ui', 'history', 'widget'],
};
const EXTRA = {
  state: [{ group: ['node:*', 'fs', 'net', 'child_process', 'os', 'path'], message: 'src/state/ does no I/O.' },
    { group: ['react', 'ink'], message: 'src/state/ imports no UI.' }],
  widget: [{ group: ['react', 'ink'], message: 'src/widget/ draws without React or Ink.' }],
};

function restricted(folder, allowed) {
  const banned = FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  return { patterns: [
    ...(banned.length ? [{ group: banned.flatMap((f) => [`../${f}/*`, `../../${f}/*`]),
      message: `src/${folder}/ may import only ${allowed.length ? allowed.map((f) => `src/${f}/`).join(', ') : 'its own files'} (docs/architecture.md).` }] : []),
    ...(EXTRA[folder] ?? [])] };
}

function folderRules() {
  return Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
    files: [`src/${folder}/**/*.ts`, `src/${folder}/**/*.tsx`],
    rules: { 'no-restricted-imports': ['error', restricted(folder, allowed)] },
  }));
}

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error',
        { selector: 'TSEnumDeclaration', message: 'Use string-literal unions with a kind field, not enums.' },
        { selector: 'TSModuleDeclaration[kind="namespace"]', message: 'No namespaces.' }],
    },
  },
  ...folderRules(),
  {
    // src/state is pure: time comes in with events.
    files: ['src/state/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'src/state/ reads no clock: time comes in with events.' },
        { object: 'performance', property: 'now', message: 'src/state/ reads no clock.' }],
    },
  },
);
