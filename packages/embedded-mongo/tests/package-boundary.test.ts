import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

// The package must stand on its own: it imports nothing from keycard (or from anywhere else
// outside its folder), and its code needs only the dependencies its package.json declares.

const packageRoot = path.resolve(__dirname, '..');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = JSON.parse(
  readFileSync(path.join(packageRoot, 'package.json'), 'utf8'),
) as Manifest;
const runtimePackages = new Set(Object.keys(manifest.dependencies ?? {}));
const testPackages = new Set([...runtimePackages, ...Object.keys(manifest.devDependencies ?? {})]);

function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** What is wrong with each import of `file`; `allowed` are the packages it may use. */
function boundaryViolations(file: string, text: string, allowed: ReadonlySet<string>): string[] {
  const where = path.relative(packageRoot, file);
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.flatMap(({ fileName: specifier }) => {
    if (specifier.startsWith('.')) {
      const target = path.relative(packageRoot, path.resolve(path.dirname(file), specifier));
      return target.startsWith('..') || path.isAbsolute(target)
        ? [`${where}: '${specifier}' leaves the package`]
        : [];
    }
    if (path.isAbsolute(specifier)) return [`${where}: '${specifier}' is an absolute path`];
    if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return [];
    const name = packageNameOf(specifier);
    if (name === manifest.name) return [`${where}: imports its own package by name`];
    return allowed.has(name) ? [] : [`${where}: '${name}' is not a declared dependency`];
  });
}

function typeScriptFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(folder, name));
}

function violationsUnder(folder: string, allowed: ReadonlySet<string>): string[] {
  return typeScriptFiles(path.join(packageRoot, folder)).flatMap((file) =>
    boundaryViolations(file, readFileSync(file, 'utf8'), allowed),
  );
}

describe('the package boundary', () => {
  it('src/ imports only its own files, Node built-ins and its dependencies', () => {
    expect(typeScriptFiles(path.join(packageRoot, 'src')).length).toBeGreaterThan(10);
    expect(violationsUnder('src', runtimePackages)).toEqual([]);
  });

  it('tests/ import only the package, Node built-ins and its (dev) dependencies', () => {
    expect(violationsUnder('tests', testPackages)).toEqual([]);
  });

  const file = path.join(packageRoot, 'src', 'wire-server', 'server.ts');
  it.each([
    ["import { loadConfig } from '../../../../src/config';", 'leaves the package'],
    ["export { createApp } from '../../../../src/app';", 'leaves the package'],
    ["const config = require('../../../config');", 'leaves the package'],
    ["import type { Config } from '/work/keycard/src/config';", 'is an absolute path'],
    ["import express from 'express';", "'express' is not a declared dependency"],
    ["import { MongoClient } from 'mongodb';", "'mongodb' is not a declared dependency"],
    ["import { startWireServer } from '@keycard/embedded-mongo';", 'its own package by name'],
    ["const app = await import('keycard/dist/app');", "'keycard' is not a declared dependency"],
  ])('catches %s', (source, problem) => {
    expect(boundaryViolations(file, source, runtimePackages)).toEqual([
      expect.stringContaining(problem),
    ]);
  });
});
