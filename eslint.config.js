import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // src/state is pure: no I/O, no React, no clock.
    files: ['src/state/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*', 'fs', 'net', 'child_process', 'os', 'path'], message: 'src/state/ does no I/O.' },
        { group: ['react', 'ink', '../ingest/*', '../components/*'], message: 'src/state/ imports neither UI nor ingest.' }] }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'src/state/ reads no clock: time comes in with events.' },
        { object: 'performance', property: 'now', message: 'src/state/ reads no clock.' }],
    },
  },
  {
    // The widget draws on a terminal of its own: never React/Ink, never the daemon's or the UI's stateful parts.
    files: ['src/widget/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['react', 'ink', '../components/*', '../daemon/*'], message: 'src/widget/ imports neither React, components nor the daemon.' }] }],
    },
  },
  {
    files: ['src/components/**/*.ts', 'src/components/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['../ingest/*', '../../ingest/*'], message: 'Components read state through selectors, never ingest.' }] }],
    },
  },
);
