import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutsideRootError, isInsideRoots, resolveInRoot, workbenchRoots } from '../src/server/roots';

const tmp = mkdtempSync(path.join(tmpdir(), 'workbench-roots-'));
const root = path.join(tmp, 'experiments');
mkdirSync(path.join(root, 'run-1'), { recursive: true });
writeFileSync(path.join(root, 'run-1', 'config.json'), '{}');
writeFileSync(path.join(tmp, 'secret.txt'), 'outside');
symlinkSync(tmp, path.join(root, 'link-out'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('resolveInRoot', () => {
  it('resolves paths inside the root, existing or not', () => {
    expect(resolveInRoot(root, 'run-1/config.json')).toBe(path.join(root, 'run-1', 'config.json'));
    expect(resolveInRoot(root, 'run-2/summary.json')).toBe(path.join(root, 'run-2', 'summary.json'));
  });

  it.each([
    ['..', 'parent'],
    ['../secret.txt', 'parent file'],
    ['run-1/../../secret.txt', '.. in the middle'],
    ['/etc/passwd', 'absolute'],
    ['C:/Windows', 'drive letter'],
    ['run-1\\..\\..\\secret.txt', 'backslashes'],
    ['run-1/config.json\0.png', 'NUL byte'],
    ['', 'empty'],
    ['link-out/secret.txt', 'symlink leading out'],
  ])('refuses %s (%s)', (relative) => {
    expect(() => resolveInRoot(root, relative)).toThrow(OutsideRootError);
  });
});

describe('workbenchRoots and isInsideRoots', () => {
  it('takes roots from the environment and keeps the database inside the data root', () => {
    const roots = workbenchRoots({ FEENET_WORKSPACE: tmp, WORKBENCH_DATA_ROOT: 'd', WORKBENCH_EXPERIMENTS_ROOT: 'experiments' });
    expect(roots.data).toBe(path.join(tmp, 'd'));
    expect(roots.database).toBe(path.join(tmp, 'd', 'workbench.db'));
    expect(() => workbenchRoots({ FEENET_WORKSPACE: tmp, WORKBENCH_DB: '../elsewhere.db' })).toThrow(OutsideRootError);
  });

  it('tells whether a gallery image lies inside a root, following links', () => {
    const roots = workbenchRoots({ FEENET_WORKSPACE: tmp, WORKBENCH_DATA_ROOT: 'd', WORKBENCH_EXPERIMENTS_ROOT: 'experiments' });
    expect(isInsideRoots(roots, path.join(root, 'run-1', 'config.json'))).toBe(true);
    expect(isInsideRoots(roots, path.join(tmp, 'secret.txt'))).toBe(false);
    expect(isInsideRoots(roots, path.join(root, 'link-out', 'secret.txt'))).toBe(false);
  });
});
