import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.next/**', '**/.nx/**', 'data/**', 'experiments/**', 'tmp/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      // Apps may import libraries; libraries never import apps, and never reach into each other by relative path.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          // One-way arrows between libraries: runtime ← alignment ← datasets ← model ← inference; clustering (analysis) depends on no other library.
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:wasm', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:runtime', onlyDependOnLibsWithTags: ['scope:wasm'] },
            { sourceTag: 'scope:vision', onlyDependOnLibsWithTags: ['scope:runtime', 'scope:wasm'] },
            { sourceTag: 'scope:datasets', onlyDependOnLibsWithTags: ['scope:vision', 'scope:runtime', 'scope:wasm'] },
            { sourceTag: 'scope:model', onlyDependOnLibsWithTags: ['scope:datasets', 'scope:runtime', 'scope:wasm'] },
            { sourceTag: 'scope:inference', onlyDependOnLibsWithTags: ['scope:model', 'scope:datasets', 'scope:vision', 'scope:analysis', 'scope:runtime', 'scope:wasm'] },
            { sourceTag: 'scope:analysis', onlyDependOnLibsWithTags: ['scope:wasm'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Every project's vitest.config.ts reuses the one shared config at the workspace root, by design.
    files: ['**/vitest.config.ts', '**/vitest.*.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
