// The packages as users install them: `pnpm pack` each one, then every folder under examples/ is
// copied outside the workspace, its `@rewind/*` dependencies pointed at the tarballs (no source,
// no workspace links), installed with npm, and its own `npm run check` run:
//   node-agent         typechecks every package's public types with `skipLibCheck: false`, runs
//                      an agent's change and a restore against the emulator CLI it starts;
//   nextjs             `next build`, `next start`, a restore from the page in Chromium;
//   cloudflare-worker  `wrangler dev`, a restore whose stream the client drops.
// The last two get the emulator CLI started here (from the example's own install) with a tenant
// project and a metadata database. Needs the packages built (`pnpm build`) and the npm registry.
// `node scripts/check-packed.mjs nextjs` checks one example.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'rewind-packed-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const quiet = { npm_config_fund: 'false', npm_config_update_notifier: 'false', NEXT_TELEMETRY_DISABLED: '1' };
// Asynchronous, so the emulator's output keeps being read while a check runs.
const run = (command, args, cwd, env = {}) => {
  console.log(`$ ${command} ${args.join(' ')}`);
  const child = spawn(command, args, { cwd, stdio: 'inherit', env: { ...process.env, ...quiet, ...env } });
  return new Promise((resolve, reject) =>
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}`)),
    ),
  );
};
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** The ranges the workspace itself uses: an example must not drift from them. */
function workspaceRanges() {
  const ranges = new Map();
  const manifests = [join(root, 'package.json')];
  for (const dir of ['packages', 'apps'])
    for (const name of readdirSync(join(root, dir))) manifests.push(join(root, dir, name, 'package.json'));
  for (const file of manifests) {
    const manifest = readJson(file);
    for (const deps of [manifest.dependencies, manifest.devDependencies])
      for (const [dep, range] of Object.entries(deps ?? {}))
        if (!String(range).startsWith('workspace:')) ranges.set(dep, range);
  }
  return ranges;
}

/** The emulator CLI installed in `app`, with a tenant project and a metadata project. */
async function startEmulator(app) {
  const child = spawn(
    join(app, 'node_modules/.bin/rewind-neon-emulator'),
    ['--port', '0', '--operation-ms', '50', '--project', 'demo'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const started = await new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the emulator did not start: ${output}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const ready = output.match(/Neon emulator ready at (\S+)/);
      const project = output.match(/Project demo: (\S+)/);
      const uri = output.match(/Connection string: (\S+)/);
      if (ready && project && uri) {
        clearTimeout(timer);
        resolve({ baseURL: ready[1], projectId: project[1], databaseUrl: uri[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited ${code}: ${output}`)));
  });
  // Rewind's own metadata lives in a database of its own (a restore replaces the tenant's).
  const headers = { authorization: 'Bearer emulator', 'content-type': 'application/json' };
  const created = await fetch(`${started.baseURL}/projects`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ project: { name: 'rewind-metadata' } }),
  });
  if (!created.ok) throw new Error(`creating the metadata project answered ${created.status}`);
  const { project, connection_uris } = await created.json();
  for (const deadline = Date.now() + 60_000; ; ) {
    // A poll may meet a reset connection (the emulator's event loop stalls while it creates a
    // branch's database, and a kept-alive socket can close under the request): poll again.
    const operations = await fetch(`${started.baseURL}/projects/${project.id}/operations`, { headers })
      .then((response) => response.json())
      .then((body) => body.operations)
      .catch((error) => {
        if (Date.now() > deadline) throw error;
        return null;
      });
    if (operations?.every((op) => op.status === 'finished')) break;
    if (Date.now() > deadline) throw new Error('the metadata project did not settle');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, ...started, storeUrl: connection_uris[0].connection_uri };
}

/**
 * A README block after `<!-- snippet: examples/… -->` is copied from that file: its lines, split
 * at `// …` elisions, appear in the file in that order, each part as one run of lines.
 */
function checkSnippets(readme) {
  const text = readFileSync(join(root, readme), 'utf8');
  const blocks = [...text.matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)```/g)];
  if (blocks.length === 0) throw new Error(`${readme}: no snippets found`);
  for (const [, file, block] of blocks) {
    const source = readFileSync(join(root, file), 'utf8');
    let from = 0;
    for (const part of block.split(/^\s*\/\/ …\n/m).filter((p) => p.trim())) {
      const at = source.indexOf(part, from);
      if (at < 0) throw new Error(`${readme}: a snippet is not in ${file} (in order):\n${part}`);
      from = at + part.length;
    }
  }
  console.log(`${readme}: ${blocks.length} snippets match their examples`);
}

try {
  checkSnippets('README.md');
  const packages = ['protocol', 'client', 'server', 'ui', 'neon-emulator', 'agent'];
  for (const name of packages)
    await run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name));
  const files = readdirSync(tarballs);
  const tarballOf = (name) => {
    const file = files.find((f) => f.startsWith(`rewind-${name}-`));
    if (!file) throw new Error(`no tarball for ${name}`);
    return join(tarballs, file);
  };

  // What a packed manifest says about its own dependencies: ranges, never workspace: or pins.
  for (const name of packages) {
    const manifest = execFileSync('tar', ['-xzOf', tarballOf(name), 'package/package.json'], {
      encoding: 'utf8',
    });
    for (const [dep, range] of Object.entries(JSON.parse(manifest).dependencies ?? {})) {
      if (dep.startsWith('@rewind/') && !String(range).startsWith('^'))
        throw new Error(`${name}: ${dep} packs as "${range}", not a caret range`);
    }
    const listing = execFileSync('tar', ['-tzf', tarballOf(name)], { encoding: 'utf8' });
    for (const required of ['package/README.md', 'package/LICENSE'])
      if (!listing.includes(required)) throw new Error(`${name}: the tarball has no ${required}`);
  }

  const ranges = workspaceRanges();
  const only = process.argv[2];
  const examples = readdirSync(join(root, 'examples'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && (!only || entry.name === only))
    .map((entry) => entry.name);
  if (examples.length === 0) throw new Error(`no example ${only}`);
  /** Copy an example out of the workspace and install it from the tarballs. */
  async function install(example) {
    const app = join(work, example);
    cpSync(join(root, 'examples', example), app, {
      recursive: true,
      filter: (src) => !/node_modules|\/dist|\/\.next|\/\.wrangler|\.dev\.vars/.test(src),
    });
    // The checks' shared helpers, beside each check.mjs (not part of any example).
    cpSync(join(root, 'examples', 'check-support.mjs'), join(app, 'check-support.mjs'));
    const manifest = readJson(join(app, 'package.json'));
    for (const deps of [manifest.dependencies, manifest.devDependencies])
      for (const [dep, range] of Object.entries(deps ?? {})) {
        if (dep.startsWith('@rewind/')) deps[dep] = `file:${tarballOf(dep.slice('@rewind/'.length))}`;
        else if (ranges.has(dep) && ranges.get(dep) !== range)
          throw new Error(`examples/${example}: ${dep} "${range}", the workspace uses "${ranges.get(dep)}"`);
      }
    // The packages' dependencies on each other come from the tarballs as well.
    manifest.overrides = Object.fromEntries(
      packages.map((name) => [`@rewind/${name}`, `file:${tarballOf(name)}`]),
    );
    writeFileSync(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);
    // Every @rewind package in the tree is the packed one (none fetched from the registry).
    const tree = JSON.parse(execFileSync('npm', ['ls', '--all', '--json'], { cwd: app, encoding: 'utf8' }));
    const foreign = [];
    const walk = (deps = {}) => {
      for (const [name, info] of Object.entries(deps)) {
        if (name.startsWith('@rewind/') && info.resolved && !info.resolved.startsWith('file:'))
          foreign.push(`${name} ${info.resolved}`);
        walk(info.dependencies);
      }
    };
    walk(tree.dependencies);
    if (foreign.length > 0)
      throw new Error(`${example}: @rewind packages from outside the tarballs: ${foreign.join(', ')}`);
    return app;
  }
  // The installs wait on the registry, not the CPU: all at once. The checks run one by one.
  const apps = await Promise.all(examples.map(install));
  for (const [i, example] of examples.entries()) {
    const app = apps[i];
    if (example === 'node-agent') {
      await run('npm', ['run', 'check'], app);
      continue;
    }
    const emulator = await startEmulator(app);
    try {
      await run('npm', ['run', 'check'], app, {
        NEON_API_HOST: emulator.baseURL,
        REWIND_PROJECT_ID: emulator.projectId,
        DATABASE_URL: emulator.databaseUrl,
        REWIND_STORE_URL: emulator.storeUrl,
      });
    } finally {
      emulator.child.kill('SIGTERM');
    }
  }
  console.log(`packed: every package installs from its tarball; examples checked: ${examples.join(', ')}`);
} finally {
  if (process.env.KEEP_PACKED) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
