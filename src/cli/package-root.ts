import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The project's root folder (where package.json names `weightscope`), found from this module's
 * own folder upwards: the same from src/cli/ (run through tsx) and from dist-cli/ (the bundle).
 */
export function packageRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'weightscope'
    )
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no weightscope package.json above ${from}`);
  }
}
