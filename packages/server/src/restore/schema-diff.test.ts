import { describe, expect, it } from 'vitest';
import { summarizeSchemaDiff } from './schema-diff';

describe('summarizeSchemaDiff', () => {
  it('reads tables and columns added and removed from a pg_dump-like unified diff', () => {
    const diff = [
      'Index: neondb.sql',
      '===================================================================',
      '--- neondb.sql\tbr-live',
      '+++ neondb.sql\tbr-version',
      '@@ -1,6 +1,5 @@',
      ' CREATE TABLE public.contacts (',
      '     id integer NOT NULL,',
      '-    tags text[],',
      '-    "Company" text,',
      '+    nickname text,',
      '     CONSTRAINT contacts_pkey PRIMARY KEY (id)',
      ' );',
      '@@ -10,3 +9,6 @@',
      '+CREATE TABLE public.notes (',
      '+    body text',
      '+);',
      '-CREATE TABLE public.audit (',
      '-    at timestamp with time zone',
      '-);',
      '-CREATE INDEX contacts_name ON public.contacts USING btree (name);',
    ].join('\n');
    expect(summarizeSchemaDiff(diff).tables).toEqual([
      { name: 'public.audit', change: 'removed', addedColumns: [], removedColumns: [] },
      {
        name: 'public.contacts',
        change: 'changed',
        addedColumns: ['nickname'],
        removedColumns: ['tags', 'Company'],
      },
      { name: 'public.notes', change: 'added', addedColumns: [], removedColumns: [] },
    ]);
  });

  it('treats a changed column type as a change, not an add plus a remove, and an empty diff as none', () => {
    const diff = [
      '@@ -1,3 +1,3 @@',
      ' CREATE TABLE public.t (',
      '-    n integer',
      '+    n bigint',
      ' );',
    ].join('\n');
    expect(summarizeSchemaDiff(diff).tables).toEqual([
      { name: 'public.t', change: 'changed', addedColumns: [], removedColumns: [] },
    ]);
    expect(summarizeSchemaDiff('')).toEqual({ text: '', tables: [] });
  });
});
