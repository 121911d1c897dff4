import type { NextConfig } from 'next';
import path from 'node:path';

// The workspace root: Turbopack must see libs/* (imported through the tsconfig path aliases).
const workspaceRoot = path.resolve(__dirname, '../..');

const config: NextConfig = {
  turbopack: { root: workspaceRoot },
  outputFileTracingRoot: workspaceRoot,
  // Native or file-reading packages are required at run time from node_modules, not bundled.
  serverExternalPackages: ['better-sqlite3', 'sharp', 'umap-js'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
