/**
 * Bundles the browser console into one directory: index.html, app.js and app.css (uPlot's CSS and
 * ours, imported by main.tsx). `npm run build:console` runs it; tests call buildConsole() into a
 * directory of their own.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '../../dist/console');

/** Builds into `outDir` (made if missing) and returns it. */
export async function buildConsole(outDir: string = DEFAULT_CONSOLE_DIR): Promise<string> {
  await mkdir(outDir, { recursive: true });
  await Promise.all([
    build({
      entryPoints: { app: path.join(__dirname, 'main.tsx') },
      outdir: outDir,
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      logLevel: 'warning',
    }),
    copyFile(path.join(__dirname, 'index.html'), path.join(outDir, 'index.html')),
  ]);
  return outDir;
}

if (require.main === module) {
  buildConsole().catch((err: unknown) => {
    process.stderr.write(`console build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
