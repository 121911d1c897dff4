import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig as UserConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The `@feenet/*` path aliases of tsconfig.base.json, for vitest: one list for the compiler and the tests. */
const paths = (JSON.parse(readFileSync(`${root}tsconfig.base.json`, 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
export const workspaceAliases = Object.fromEntries(Object.entries(paths).map(([name, [target]]) => [name, `${root}${target}`]));

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
