// Where Gatehouse's own files live, whether it runs from src/ (tests) or dist/src/ (npm start).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  let dir = start;
  for (let depth = 0; depth < 6; depth++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'migrations'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`Gatehouse's package root was not found above ${start}`);
}

export const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
export const migrationsDir = path.join(packageRoot, 'migrations');
export const viewsDir = path.join(packageRoot, 'views');
export const publicDir = path.join(packageRoot, 'public');
export const resourcesDir = path.join(packageRoot, 'resources');
