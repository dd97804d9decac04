// Build the prebuilt (federated) labextension with @jupyterlab/builder, offline.
//
// Why not `jupyter labextension build .`: in JupyterLab >= 4.6 that command goes through the
// jupyter_builder package, which may download @jupyterlab/core-meta from the network when it
// cannot find it, and it needs the right Python on PATH (not a given inside pip's isolated
// build environment). Here the core metadata comes from the @jupyterlab/core-meta package that
// yarn.lock pins, so the build needs nothing but node_modules.
//
// @jupyterlab/builder wants a *directory* holding the core data as `package.json`; core-meta
// ships it as `core.package.json` beside its own npm manifest, so it is copied to a scratch
// directory first.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(here, 'package.json'));

const coreFile = require.resolve('@jupyterlab/core-meta/core.package.json');
const coreDir = join(here, 'node_modules', '.cache', 'hfwidgets-core');
mkdirSync(coreDir, { recursive: true });
copyFileSync(coreFile, join(coreDir, 'package.json'));

const builder =
  require.resolve('@jupyterlab/builder/lib/build-labextension.js');
const args = [builder, '--core-path', coreDir, ...process.argv.slice(2), here];
const result = spawnSync(process.execPath, args, {
  stdio: 'inherit',
  cwd: here
});
if (result.error) {
  console.error(
    `build-labextension: could not run ${builder}: ${result.error.message}`
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
