import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Two rules that keep the server easy to reason about, checked on its source:
// no import cycle (type-only imports count: a cycle of types is still a cycle of concepts), and
// no clock, timer or randomness read anywhere but `defaults.ts` (everything else takes the
// injected `Runtime`, so tests and the simulation run on virtual time).

const root = resolve(import.meta.dirname);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'test' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => {
        const target = resolve(dirname(file), name).replace(/\.js$/, '');
        return target.endsWith('.ts') ? target : `${target}.ts`;
      })
      .filter((target) => known.has(target));
    graph.set(file, deps);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan), each as a sorted list. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the server source', () => {
  const files = sources(root);

  it('has no import cycle', () => {
    expect(files.length).toBeGreaterThan(30);
    const found = cycles(importGraph(files)).map((c) => c.map((f) => relative(root, f)));
    expect(found).toEqual([]);
  });

  it('the cycle check finds a cycle, type-only imports included', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c']]);
    const { importedFiles } = ts.preProcessFile("import type { X } from './x';\n", true, true);
    expect(importedFiles.map((i) => i.fileName)).toEqual(['./x']);
  });

  it('reads clocks, timers and randomness only in defaults.ts', () => {
    const forbidden =
      /\bDate\.now\b|new Date\(\)|\bset(?:Timeout|Interval|Immediate)\b|\bMath\.random\b|\bperformance\.now\b|getRandomValues|randomUUID/;
    const offenders = files
      .filter((file) => relative(root, file) !== 'defaults.ts')
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i) => ({ line: line.trim(), at: `${relative(root, file)}:${i + 1}` }))
          // Comments may name them (saying why they are not used).
          .filter(({ line }) => !line.startsWith('//') && !line.startsWith('*') && forbidden.test(line))
          .map(({ at, line }) => `${at}: ${line}`),
      );
    expect(offenders).toEqual([]);
    expect(forbidden.test('const t = setTimeout(f, 1);')).toBe(true);
  });

  it('settles unfinished work through one function, called once per trigger', () => {
    // Where each recovery entry may be called from: the machine's `recover` only by the sweep,
    // the sweep only by `settle`, and `settle` from one place per trigger (each naming itself).
    const callers = (pattern: RegExp) =>
      files
        .filter((file) => pattern.test(readFileSync(file, 'utf8')))
        .map((file) => relative(root, file))
        .sort();
    expect(callers(/\brecover\(\s*core,\s*record,\s*lease\s*\)/)).toEqual(['service/sweep.ts']);
    expect(callers(/(?<![.\w]|function )sweep\(\s*core/)).toEqual(['service/settle.ts']);
    expect(callers(/\bconcludeUnstarted\(/)).toEqual(['restore/restore-machine.ts', 'service/settle.ts']);
    const triggers = files.flatMap((file) =>
      [
        ...readFileSync(file, 'utf8').matchAll(
          /\bsettle(?:Project)?\(\s*core,\s*target,\s*(?:lease,\s*)?\{ by: '(\w+)'/g,
        ),
      ].map((m) => `${m[1]} ${relative(root, file)}`),
    );
    expect(triggers.sort()).toEqual([
      'admin service/restores.ts',
      'follower service/restores.ts',
      'list service/versions.ts',
      'mutation service/settle.ts',
      'reconcile service/versions.ts',
      'restore service/restores.ts',
    ]);
    // The restore machine writes through `dispatch` alone: one fenced commit per transition.
    const writes = files
      .filter((file) => relative(root, file).startsWith('restore/'))
      .flatMap((file) =>
        [
          ...readFileSync(file, 'utf8').matchAll(
            /\bstore\.(insertVersion|deleteVersion|patchProjectState|putPreview|deletePreview|commitRestore|renameVersion|setPinned)\(/g,
          ),
        ].map((m) => `${relative(root, file)} ${m[1]}`),
      );
    expect(writes).toEqual(['restore/restore-machine.ts commitRestore']);
    // No lock taken only for its side effect: `settleProject` says what it is for.
    expect(callers(/withLock\([^)]*, async \(\) => undefined\)/)).toEqual([]);
  });
});
