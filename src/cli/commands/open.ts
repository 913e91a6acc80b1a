/** `weightscope open FILE… | DIR`: the app in the browser, with those checkpoints in its workspace. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { CliError, UsageError } from '../args';
import { CheckpointSet } from '../checkpoint-set';
import type { Command } from '../command';
import { ARCH_FLAGS, archFlags } from '../io';
import { packageRoot } from '../package-root';
import { createStaticServer, LISTING_PATH } from '../static-server';

/** The built app inside the package (npm's "files" ships it; `npm run build` makes it). */
export const DIST = path.join(packageRoot(), 'dist');

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

/** Opens the URL in the person's browser; failing to is not an error (the URL is printed). */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(cmd, [url], { stdio: 'ignore', detached: true })
      .on('error', () => undefined)
      .unref();
  } catch {
    // no opener on this machine: the printed URL is enough
  }
}

export const open: Command = {
  name: 'open',
  summary: 'Serve the app on 127.0.0.1 with these checkpoints (every checkpoint in DIR) in its workspace.',
  usage: 'open FILE… | DIR [--port P] [--no-browser] [--watch] [--activation A] [--w0 N]',
  spec: {
    positionals: { names: ['FILE|DIR'], min: 0, variadic: true },
    flags: {
      port: {
        kind: 'int',
        arg: 'P',
        min: 0,
        max: 65535,
        help: 'port on 127.0.0.1 (default 4178, or the next free one)',
      },
      'no-browser': { kind: 'bool', help: 'print the URL only; do not open a browser' },
      watch: { kind: 'bool', help: 'checkpoints that appear in DIR later join the workspace live' },
      ...ARCH_FLAGS,
    },
  },
  details: `
Serves the built app (dist/) like a real site — cross-origin isolated, with its
Content-Security-Policy, hashed assets cached, gzip — on 127.0.0.1 only. On start the app
lists the checkpoints (${LISTING_PATH}) and imports each one through its usual import path:
.pt/.pth, .safetensors, .npz and .npy files named on the command line, and those directly inside
each DIR. The activation comes from --activation / --w0, else the file's Weightscope metadata,
else relu. With --watch the app polls the listing every 2 s, so checkpoints a training script
saves into DIR join the workspace as they appear (a file joins once it has not changed for 1 s).
Only those files are served, read-only; any other path outside the app is 404. Ctrl-C stops.
With no FILE or DIR it serves the app alone (this is what npm run preview runs).

Example:
  weightscope open runs/ --watch --activation sine`,
  async run(args) {
    if (!existsSync(path.join(DIST, 'index.html')))
      throw new CliError(`the built app is missing (${DIST}); run npm run build first`);
    const set = new CheckpointSet(args.positionals);
    const flags = archFlags(args);
    const watch = args.flag('watch');
    if (watch && set.folders.length === 0) throw new UsageError('--watch needs a folder (DIR) to watch');
    const server = createStaticServer({
      root: DIST,
      checkpoints: set,
      watch,
      listingExtra: flags.activation || flags.w0 ? { options: flags } : {},
    });
    const wanted = args.number('port');
    let port = -1;
    for (let p = wanted ?? 4178, tries = 0; port < 0; p++, tries++) {
      try {
        port = await listen(server, p);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (wanted !== undefined || code !== 'EADDRINUSE' || tries >= 20)
          throw new CliError(`cannot listen on 127.0.0.1:${p} (${code ?? (e as Error).message})`);
      }
    }
    const url = `http://127.0.0.1:${port}/`;
    const files = set.list().map((f) => f.name);
    process.stdout.write(
      args.flag('json')
        ? `${JSON.stringify({ url, files, watch })}\n`
        : `Weightscope on ${url} with ${files.length} checkpoint(s)${watch ? ', watching for more' : ''}; Ctrl-C stops\n`,
    );
    if (!args.flag('no-browser')) openBrowser(url);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        server.close();
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    // The result line was printed at start; exit here so nothing else reaches stdout.
    process.exit(0);
  },
};
