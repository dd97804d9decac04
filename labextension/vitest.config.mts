import { defineConfig } from 'vitest/config';

// Only the pure modules are unit-tested here (no DOM, no JupyterLab): node is enough.
export default defineConfig({
  test: { include: ['tests/**/*.test.ts'], environment: 'node' }
});
