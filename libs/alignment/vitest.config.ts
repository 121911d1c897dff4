// The shared per-project vitest config lives at the workspace root by design (see vitest.shared.ts).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { projectTestConfig } from '../../vitest.shared';

export default projectTestConfig();
