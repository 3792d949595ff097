/**
 * The workspace's one-way rules, checked against the code rather than trusted to review.
 *
 * Each package may import only the packages below it in LAYERS (README, "Architecture"). The check
 * reads every workspace's package.json and every import in its sources, so a new upward or sideways
 * import, a relative path that escapes its package, or an undeclared dependency fails here with the
 * file that introduced it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const RUNTIME = [
  '@switchyard/contracts',
  '@switchyard/kernel',
  '@switchyard/bus',
  '@switchyard/mapping',
  '@switchyard/stores',
  '@switchyard/provider-auth',
  '@switchyard/provider-client',
  '@switchyard/runtime',
];

/** What each workspace may import in its production sources. Anything not listed is forbidden. */
const LAYERS: Record<string, readonly string[]> = {
  '@switchyard/contracts': [],
  // The generated API client stands alone: users install it without the hub.
  '@switchyard/client': [],
  '@switchyard/nats-server': ['@switchyard/contracts'],
  '@switchyard/kernel': ['@switchyard/contracts'],
  '@switchyard/bus': ['@switchyard/contracts', '@switchyard/kernel'],
  '@switchyard/mapping': ['@switchyard/contracts', '@switchyard/kernel'],
  '@switchyard/provider-auth': ['@switchyard/contracts', '@switchyard/kernel', '@switchyard/bus'],
  '@switchyard/stores': ['@switchyard/contracts', '@switchyard/kernel', '@switchyard/bus', '@switchyard/mapping'],
  '@switchyard/provider-client': RUNTIME.slice(0, 6),
  '@switchyard/runtime': RUNTIME.slice(0, 7),
  // Services stand on the runtime and never on each other; only the hub composes them.
  '@switchyard/edge': RUNTIME,
  '@switchyard/normalizer': RUNTIME,
  '@switchyard/delivery': RUNTIME,
  '@switchyard/request': RUNTIME,
  '@switchyard/hub': [
    ...RUNTIME,
    // The CLI's remote commands call a hub through the generated client.
    '@switchyard/client',
    '@switchyard/nats-server',
    '@switchyard/edge',
    '@switchyard/normalizer',
    '@switchyard/delivery',
    '@switchyard/request',
  ],
};

/** Packages a workspace's own tests may also use: a real nats-server is a test part, not a layer. */
const TEST_ONLY = ['@switchyard/nats-server'];

interface Workspace {
  name: string;
  dir: string;
  deps: string[];
  devDeps: string[];
}

function workspaces(): Workspace[] {
  const dirs = [
    'contracts',
    ...readdirSync(join(root, 'clients')).map((d) => join('clients', d)),
    ...readdirSync(join(root, 'services')).map((d) => join('services', d)),
    ...readdirSync(join(root, 'services/runtime')).map((d) => join('services/runtime', d)),
  ];
  const found: Workspace[] = [];
  for (const dir of dirs) {
    let manifest: { name: string; dependencies?: object; devDependencies?: object };
    try {
      manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    } catch {
      continue; // services/runtime itself is a folder of packages, not a package
    }
    const ours = (deps: object | undefined) => Object.keys(deps ?? {}).filter((d) => d.startsWith('@switchyard/'));
    found.push({ name: manifest.name, dir, deps: ours(manifest.dependencies), devDeps: ours(manifest.devDependencies) });
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (entry.endsWith('.ts')) out.push(path);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string);
}

const all = workspaces();

describe('workspace layers', () => {
  it('every workspace is placed in the layer table', () => {
    expect(all.map((w) => w.name).filter((n) => !(n in LAYERS))).toEqual([]);
    expect(all.length).toBe(Object.keys(LAYERS).length);
  });

  for (const ws of all) {
    const allowed = LAYERS[ws.name] ?? [];

    it(`${ws.name} declares only dependencies its layer allows`, () => {
      expect(ws.deps.filter((d) => !allowed.includes(d))).toEqual([]);
      expect(ws.devDeps.filter((d) => !allowed.includes(d) && !TEST_ONLY.includes(d))).toEqual([]);
    });

    it(`${ws.name} sources import only lower layers and stay inside the package`, () => {
      const pkgDir = join(root, ws.dir);
      const violations: string[] = [];
      for (const file of sourceFiles(join(pkgDir, 'src'))) {
        const isTest = file.endsWith('.test.ts');
        const where = relative(root, file);
        for (const spec of importsOf(file)) {
          if (spec.startsWith('.')) {
            const target = resolve(dirname(file), spec);
            if (!(target + sep).startsWith(pkgDir + sep)) violations.push(`${where}: relative import leaves the package: ${spec}`);
            continue;
          }
          if (!spec.startsWith('@switchyard/')) continue;
          const pkg = spec.split('/').slice(0, 2).join('/');
          if (pkg === ws.name) {
            violations.push(`${where}: imports its own package by name: ${spec}`);
            continue;
          }
          const ok = allowed.includes(pkg) || (isTest && TEST_ONLY.includes(pkg));
          if (!ok) violations.push(`${where}: ${pkg} is not below ${ws.name}`);
          else if (!ws.deps.includes(pkg) && !ws.devDeps.includes(pkg)) {
            violations.push(`${where}: imports ${pkg} without declaring it in package.json`);
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('no runtime package holds a quarter or more of the production source', () => {
    const lines = (ws: Workspace) =>
      sourceFiles(join(root, ws.dir, 'src'))
        .filter((f) => !f.endsWith('.test.ts'))
        .reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length, 0);
    const sizes = all.map((ws) => ({ name: ws.name, lines: lines(ws) }));
    const total = sizes.reduce((n, s) => n + s.lines, 0);
    const runtimeSizes = sizes.filter((s) => RUNTIME.includes(s.name) && s.name !== '@switchyard/contracts');
    const oversized = runtimeSizes.filter((s) => s.lines >= total / 4).map((s) => `${s.name}: ${s.lines}/${total}`);
    expect(oversized).toEqual([]);
  });
});
