// The packages as users install them: `pnpm pack` each one, install the tarballs with npm into a
// fresh folder outside the workspace (no source, no workspace links), typecheck a consumer of
// every package's public types with `skipLibCheck: false`, and run examples/node-agent against
// the emulator CLI. Needs the packages built (`pnpm build`) and the npm registry.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'rewind-packed-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const run = (command, args, cwd) => {
  console.log(`$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, npm_config_fund: 'false' } });
};

try {
  const packages = ['protocol', 'client', 'server', 'ui', 'neon-emulator', 'agent'];
  for (const name of packages)
    run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name));
  const files = readdirSync(tarballs);
  const tarballOf = (name) => {
    const file = files.find((f) => f.startsWith(`rewind-${name}-`));
    if (!file) throw new Error(`no tarball for ${name}`);
    return `file:${join(tarballs, file)}`;
  };

  // What a packed manifest says about its own dependencies: ranges, never workspace: or pins.
  for (const name of packages) {
    const manifest = execFileSync('tar', ['-xzOf', tarballOf(name).slice(5), 'package/package.json'], {
      encoding: 'utf8',
    });
    const deps = { ...JSON.parse(manifest).dependencies };
    for (const [dep, range] of Object.entries(deps)) {
      if (dep.startsWith('@rewind/') && !String(range).startsWith('^'))
        throw new Error(`${name}: ${dep} packs as "${range}", not a caret range`);
    }
    const listing = execFileSync('tar', ['-tzf', tarballOf(name).slice(5)], { encoding: 'utf8' });
    for (const required of ['package/README.md', 'package/LICENSE'])
      if (!listing.includes(required)) throw new Error(`${name}: the tarball has no ${required}`);
  }

  const app = join(work, 'node-agent');
  cpSync(join(root, 'examples', 'node-agent'), app, {
    recursive: true,
    filter: (src) => !src.includes('node_modules') && !src.includes('/dist'),
  });
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  const workspace = (pkg, dep) =>
    JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')).devDependencies?.[dep] ??
    JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')).dependencies?.[dep];
  manifest.dependencies = {
    ...Object.fromEntries(packages.map((name) => [`@rewind/${name}`, tarballOf(name)])),
    '@tanstack/react-query': workspace('packages/ui', '@tanstack/react-query'),
    ai: workspace('packages/agent', 'ai'),
    hono: workspace('packages/server', 'hono'),
    pg: workspace('packages/server', 'pg'),
    react: workspace('packages/ui', 'react'),
    'react-dom': workspace('packages/ui', 'react-dom'),
  };
  manifest.devDependencies = {
    // The AI SDK's own declarations import 'json-schema' types (any consumer of `ai` with
    // `skipLibCheck: false` needs them; not a Rewind package's doing).
    '@types/json-schema': '^7.0.15',
    '@types/node': JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies[
      '@types/node'
    ],
    '@types/pg': workspace('packages/server', '@types/pg'),
    '@types/react': workspace('packages/ui', '@types/react'),
    typescript: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.typescript,
  };
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);
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
    throw new Error(`@rewind packages from outside the tarballs: ${foreign.join(', ')}`);
  run('npx', ['tsc', '-p', 'tsconfig.json'], app);
  run('node', ['dist/agent.js'], app);
  console.log(
    'packed: every package installs from its tarball, typechecks with skipLibCheck: false, and examples/node-agent runs',
  );
} finally {
  if (process.env.KEEP_PACKED) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
