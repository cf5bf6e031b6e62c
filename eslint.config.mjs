import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'

const NODE_BUILTINS = [
  'node:*',
  'fs',
  'path',
  'os',
  'http',
  'https',
  'net',
  'tls',
  'crypto',
  'child_process',
  'stream',
]

/**
 * Layer boundaries (design.md 2.2), enforced here, by the tsconfigs (types/lib) and by a test:
 * - shared imports nothing of ours but shared, no Node, no electron;
 * - core never imports electron nor the hosts;
 * - renderer never imports main, electron or Node;
 * - preload imports electron and shared types only.
 */
export default defineConfig(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'resources/**', '**/*.d.ts.map'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  pluginVue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // The launcher is plain CommonJS on purpose: it must run on any Node to pick the right one.
    files: ['bin/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'shared runs anywhere: no electron.' }],
          patterns: [
            { group: NODE_BUILTINS, message: 'shared runs anywhere: no Node modules.' },
            {
              group: ['**/main/**', '**/renderer/**', '**/preload/**'],
              message: 'shared imports only shared.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/main/core/**/*.ts',
      'src/main/cli/**/*.ts',
      'src/main/browser-host/**/*.ts',
      'src/main/demo/**/*.ts',
      'emulators/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The core and the Node hosts run under plain Node (design.md 2.2).',
            },
          ],
          patterns: [
            {
              group: ['**/electron/**', '!**/node_modules/**'],
              message: 'Only src/main/electron imports the Electron shell.',
            },
            { group: ['**/renderer/**'], message: 'The core never imports the renderer.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.vue'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer talks to the core only through api/.' },
          ],
          patterns: [
            { group: NODE_BUILTINS, message: 'The renderer runs in a browser: no Node modules.' },
            {
              group: ['**/main/**', '**/preload/index'],
              message: 'The renderer never imports main or preload code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '**/renderer/**'],
              message: 'The preload exposes one object and imports only electron and shared.',
            },
          ],
        },
      ],
    },
  },
)
