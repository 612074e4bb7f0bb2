import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project directory, whether running from src/ (tests) or dist/src/ (built). */
function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'openapi', 'openapi.yaml'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`openapi/openapi.yaml not found above ${start}`);
  }
}

export const projectRoot = findProjectRoot(__dirname);
export const contractPath = path.join(projectRoot, 'openapi', 'openapi.yaml');
export const docsPath = path.join(projectRoot, 'dist', 'docs', 'index.html');
export const eventsDocsPath = path.join(projectRoot, 'dist', 'docs', 'events.html');
