// Bundles the compiled command line (dist/src, from tsc) into dist/cli/: one entry file
// and a few chunks that each subcommand loads when it runs. Node then reads a handful of
// files at start instead of some 400 (our modules and those of yaml, zod, commander,
// node-ssh, ...), which is most of swarmplay's start-up time. The tests run this bundle.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// Chunk names carry content hashes: start empty so old chunks do not pile up.
rmSync(path.join(root, 'dist/cli'), { recursive: true, force: true });
const { metafile } = await build({
  entryPoints: { swarmplay: path.join(root, 'dist/src/cli/main.js') },
  outdir: path.join(root, 'dist/cli'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The SSH stack stays in node_modules: ssh2 finds its WebAssembly and optional native
  // helpers relative to its own files, and it is loaded only when a first host is connected.
  external: ['node-ssh', 'ssh2'],
  // CommonJS packages inside an ES module bundle still call require() for Node's own modules.
  banner: { js: "import { createRequire as swarmplayCreateRequire } from 'node:module'; const require = swarmplayCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
  // The metafile's paths are then relative to the repository, wherever the build is started.
  absWorkingDir: root,
});
// Which sources each output file holds: test/cli/start-up.test.ts checks with it what a run loads at start.
writeFileSync(path.join(root, 'dist/bundle-meta.json'), JSON.stringify(metafile));
