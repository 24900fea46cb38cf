import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Which folders each folder of src/ may import (docs/architecture.md's table, enforced). `commands/` wires
// everything and is not listed. Known debts, each named by file, until the folder relayout (issue 11) removes them.
const FOLDERS = ['state', 'ingest', 'ring', 'protocol', 'history', 'daemon', 'remote', 'widget', 'ui', 'components', 'commands'];
const MAY_IMPORT = {
  state: [],
  ingest: ['state'],
  ring: [],
  protocol: ['state', 'ring'],
  history: ['state', 'ring'],
  daemon: ['state', 'ingest', 'ring', 'protocol', 'history'],
  remote: ['state', 'ingest', 'ring', 'protocol', 'daemon'],
  widget: ['state', 'ingest', 'history', 'ui'],
  ui: ['state', 'daemon', 'history', 'remote'],
  components: ['state', 'ui', 'history', 'widget'],
};
const DEBTS = {
  // The demo recording is built from captures by the ingest decoders (belongs in ingest/ or commands/).
  'src/ui/demo-timeline.ts': ['ingest'],
  // The terminal entry renders the App: ui/ -> components/ -> ui/ is a loop.
  'src/ui/run-ui.ts': ['components'],
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
  const configs = Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
    files: [`src/${folder}/**/*.ts`, `src/${folder}/**/*.tsx`],
    ignores: Object.keys(DEBTS).filter((f) => f.startsWith(`src/${folder}/`)),
    rules: { 'no-restricted-imports': ['error', restricted(folder, allowed)] },
  }));
  for (const [file, also] of Object.entries(DEBTS)) {
    const folder = file.split('/')[1];
    configs.push({ files: [file], rules: { 'no-restricted-imports': ['error', restricted(folder, [...MAY_IMPORT[folder], ...also])] } });
  }
  return configs;
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
