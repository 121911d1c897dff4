import { projectTestConfig } from '../../vitest.shared';

// The browser suite: one production server, one Chromium, tests in order within the file.
export default projectTestConfig({
  include: ['e2e/**/*.e2e.test.ts'],
  testTimeout: 180_000,
  hookTimeout: 600_000,
  fileParallelism: false,
});
