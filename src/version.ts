/** The package's version, read from package.json (from src/ in tests, from dist/src/ when built). */

import { existsSync, readFileSync } from 'node:fs';

function readVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    const url = new URL(relative, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: unknown; version?: unknown };
    if (pkg.name === 'shardcache' && typeof pkg.version === 'string') return pkg.version;
  }
  return '0.0.0';
}

export const VERSION = readVersion();
