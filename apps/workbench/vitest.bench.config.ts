import { projectTestConfig } from '../../vitest.shared';

// `workbench:bench`: the speed figures, in Chromium against the production build (e2e/speed.bench.ts).
export default projectTestConfig({
  include: ['e2e/**/*.bench.ts'],
  testTimeout: 900_000,
  hookTimeout: 600_000,
  fileParallelism: false,
});
