import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig as UserConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Resolves the `@feenet/*` path aliases of tsconfig.base.json for vitest. */
export const workspaceAliases = {
  '@feenet/alignment': `${root}libs/alignment/src/index.ts`,
  '@feenet/feenet': `${root}libs/feenet/src/index.ts`,
  '@feenet/clustering': `${root}libs/clustering/src/index.ts`,
  '@feenet/wasm-assembly': `${root}libs/wasm-assembly/src/index.ts`,
};

/** One vitest configuration shape for every project; tests run in forked Node processes. */
export function projectTestConfig(extra: UserConfig['test'] = {}): UserConfig {
  return defineConfig({
    resolve: { alias: workspaceAliases },
    test: {
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
      pool: 'forks',
      testTimeout: 120_000,
      hookTimeout: 300_000,
      ...extra,
    },
  });
}
