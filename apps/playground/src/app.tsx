import type { Version } from '@rewind/protocol';
import { RestoreButton, RewindProvider, useVersions, VersionPreview, VersionTimeline } from '@rewind/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import {
  type AgentTurn,
  answerAgent,
  getContacts,
  getNeonView,
  getPrompts,
  runPrompt,
  runSql,
  startAgent,
} from './api';

export function App() {
  const queryClient = useQueryClient();
  // A new key per request, so previewing the same version again opens a fresh preview.
  const [previewing, setPreviewing] = useState<{ version: Version; key: number } | null>(null);
  const [theme, toggleTheme] = useTheme();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['contacts'] });
    void queryClient.invalidateQueries({ queryKey: ['rewind'] });
  };
  return (
    <RewindProvider url="/api/rewind">
      <div className="builder">
        <header className="topbar">
          <h1 className="brand">Rewind playground</h1>
          <span className="project" title="The tenant's Neon project">
            contacts-app · <span data-slot="branch">main</span>
          </span>
          <button type="button" className="theme" aria-pressed={theme === 'dark'} onClick={toggleTheme}>
            Dark mode
          </button>
        </header>
        <main className="workspace">
          <section aria-labelledby="agent-title" className="pane chat">
            <h2 id="agent-title">Agent</h2>
            <Conversation onChanged={refresh} />
          </section>
          <section aria-labelledby="data-title" className="pane app-preview">
            <h2 id="data-title">Your app</h2>
            <div className="frame">
              <div className="frame-bar" aria-hidden="true">
                <span />
                <span />
                <span />
                <code>contacts-app.preview.local</code>
              </div>
              {/* Focusable: a wide table scrolls sideways, and keyboard users must reach it. */}
              {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region (axe's scrollable-region-focusable) */}
              <section className="frame-body" tabIndex={0} aria-label="App preview">
                <h3>Contacts</h3>
                <LiveData />
              </section>
            </div>
          </section>
          <section aria-labelledby="versions-title" className="pane history">
            <h2 id="versions-title">History</h2>
            <StepBack onRestored={refresh} />
            <VersionTimeline
              onRestored={refresh}
              onPreview={(version) => setPreviewing((p) => ({ version, key: (p?.key ?? 0) + 1 }))}
            />
            {previewing ? (
              <VersionPreview
                key={previewing.key}
                versionId={previewing.version.id}
                label={previewing.version.label}
                openOnMount
                onRestored={() => {
                  setPreviewing(null);
                  refresh();
                }}
              />
            ) : null}
          </section>
        </main>
        <NeonPanel />
      </div>
    </RewindProvider>
  );
}

/** Light or dark, following the system until toggled; the kit follows `data-theme` on <html>. */
function useTheme(): ['light' | 'dark', () => void] {
  const [theme, setTheme] = useState<'light' | 'dark'>(() =>
    window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
  );
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [theme, () => setTheme((t) => (t === 'dark' ? 'light' : 'dark'))];
}

/** A one-click "go back one version" for the agent's last change, as a platform would offer it. */
function StepBack({ onRestored }: { onRestored: () => void }) {
  const versions = useVersions();
  const current = versions.data?.versions.find((v) => v.current);
  const parent = current?.parentId
    ? versions.data?.versions.find((v) => v.id === current.parentId)
    : undefined;
  if (!parent) return null;
  return (
    <RestoreButton
      key={parent.id}
      versionId={parent.id}
      label={parent.label}
      onRestored={onRestored}
      resume={false}
    >
      Go back to “{parent.label}”
    </RestoreButton>
  );
}

type Entry =
  | {
      kind: 'prompt';
      id: number;
      label: string;
      text: string;
      state: 'running' | 'saved' | 'failed';
      error?: string;
    }
  | { kind: 'agent'; id: number; turn: AgentTurn | null };

let nextEntryId = 0;

/**
 * The agent's side of an app builder, as a chat: the user's prompts and the agent's turns in one
 * log, the composer at the bottom. The scripted agent (a mock model, no key) builds the app
 * through Rewind's tools, breaks it, and asks before rolling back; the approval is the AI SDK's
 * tool approval, answered here. The prompt buttons run the same steps one at a time.
 */
function Conversation({ onChanged }: { onChanged: () => void }) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const add = (entry: Entry) => setEntries((list) => [...list, entry]);
  const update = (id: number, patch: Partial<Entry>) =>
    setEntries((list) => list.map((e) => (e.id === id ? ({ ...e, ...patch } as Entry) : e)));
  // The run being answered is the latest agent entry's; each entry keeps its own transcript.
  const latest = entries.findLast((e): e is Extract<Entry, { kind: 'agent' }> => e.kind === 'agent');
  const turn = latest?.turn ?? null;
  const setTurn = (next: AgentTurn) => latest && update(latest.id, { turn: next });
  const start = useMutation({
    mutationFn: startAgent,
    onMutate: () => {
      const id = nextEntryId++;
      add({ kind: 'agent', id, turn: null });
      return id;
    },
    onSuccess: (next, _, id) => update(id, { turn: next }),
    onSettled: onChanged,
  });
  const answer = useMutation({
    mutationFn: (approved: boolean) =>
      answerAgent(turn?.runId as string, turn?.approval?.approvalId as string, approved),
    onSuccess: setTurn,
    onSettled: onChanged,
  });
  const busy = start.isPending || answer.isPending;
  const state = busy ? 'running' : turn?.approval ? 'awaiting-approval' : turn?.done ? 'done' : 'idle';
  return (
    <div className="agent" data-state={state}>
      <ol aria-label="Agent transcript" data-slot="transcript" className="log">
        {entries.length === 0 ? (
          <li data-slot="hint">
            Ask for a change. Every change the agent makes to the database becomes a version in the history.
          </li>
        ) : null}
        {entries.map((entry) =>
          entry.kind === 'prompt' ? (
            <PromptEntry key={entry.id} entry={entry} />
          ) : (
            <AgentEntry key={entry.id} turn={entry.turn} />
          ),
        )}
      </ol>
      {busy ? <p aria-live="polite">The agent is working…</p> : null}
      {turn?.approval && !busy ? (
        <fieldset data-slot="approval">
          <legend>Approval needed</legend>
          <p>
            The agent wants to restore “{turn.approval.versionLabel ?? 'a version'}”. Data written since then
            is replaced (and kept in an undo point).
          </p>
          <div className="actions">
            <button type="button" onClick={() => answer.mutate(true)}>
              Approve restore
            </button>
            <button type="button" onClick={() => answer.mutate(false)}>
              Decline
            </button>
          </div>
        </fieldset>
      ) : null}
      {start.error || answer.error ? <p role="alert">{(start.error ?? answer.error)?.message}</p> : null}
      <Composer
        agentDisabled={busy || Boolean(turn?.approval)}
        onAgent={() => start.mutate()}
        onPrompt={(label, text) => {
          const id = nextEntryId++;
          add({ kind: 'prompt', id, label, text, state: 'running' });
          return {
            saved: () => update(id, { state: 'saved' }),
            failed: (error: Error) => update(id, { state: 'failed', error: error.message }),
          };
        }}
        onChanged={onChanged}
      />
    </div>
  );
}

function PromptEntry({ entry }: { entry: Extract<Entry, { kind: 'prompt' }> }) {
  return (
    <>
      <li data-slot="user">{entry.text}</li>
      <li data-slot="say" data-state={entry.state}>
        {entry.state === 'running'
          ? 'Changing the database…'
          : entry.state === 'saved'
            ? `Saved version “${entry.label}”`
            : `That did not work: ${entry.error}`}
      </li>
    </>
  );
}

function AgentEntry({ turn }: { turn: AgentTurn | null }) {
  return (
    <>
      <li data-slot="user">Build the contacts app, then merge name and email.</li>
      {turn?.steps.map((step, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the transcript only grows.
        <li key={i} data-slot={step.kind}>
          {step.text}
        </li>
      ))}
    </>
  );
}

function Composer({
  agentDisabled,
  onAgent,
  onPrompt,
  onChanged,
}: {
  agentDisabled: boolean;
  onAgent: () => void;
  onPrompt: (label: string, text: string) => { saved: () => void; failed: (error: Error) => void };
  onChanged: () => void;
}) {
  const prompts = useQuery({ queryKey: ['prompts'], queryFn: getPrompts });
  const [sql, setSql] = useState('');
  const prompt = useMutation({
    mutationFn: ({ id }: { id: string; entry: ReturnType<typeof onPrompt> }) => runPrompt(id),
    onSuccess: (_, { entry }) => entry.saved(),
    onError: (error, { entry }) => entry.failed(error),
    onSettled: onChanged,
  });
  const free = useMutation({ mutationFn: runSql, onSuccess: () => setSql(''), onSettled: onChanged });
  const busy = prompt.isPending || free.isPending;
  return (
    <div className="composer">
      <fieldset className="suggestions">
        <legend>Suggested prompts</legend>
        {prompts.data?.prompts.map((p) => (
          <button
            key={p.id}
            type="button"
            disabled={busy}
            onClick={() => prompt.mutate({ id: p.id, entry: onPrompt(p.label, p.prompt) })}
            title={p.prompt}
          >
            Run prompt {p.label}
          </button>
        ))}
        <button type="button" className="primary" disabled={agentDisabled} onClick={onAgent}>
          Run the agent
        </button>
      </fieldset>
      {prompt.error ? <p role="alert">{prompt.error.message}</p> : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          free.mutate(sql);
        }}
      >
        <label htmlFor="sql">Free-form SQL prompt</label>
        <textarea id="sql" rows={2} value={sql} onChange={(event) => setSql(event.target.value)} />
        <button type="submit" disabled={busy || sql.trim() === ''}>
          Apply and save a version
        </button>
      </form>
      {free.error ? (
        <p role="alert" data-testid="sql-error">
          {free.error.message}
        </p>
      ) : null}
    </div>
  );
}

function LiveData() {
  const contacts = useQuery({ queryKey: ['contacts'], queryFn: getContacts, refetchInterval: 3_000 });
  if (contacts.isPending) return <p>Loading…</p>;
  if (contacts.isError) return <p role="alert">{contacts.error.message}</p>;
  if (contacts.data.columns.length === 0) return <p>No contacts table yet. Run prompt v1.</p>;
  return (
    <table aria-label="Contacts">
      <thead>
        <tr>
          {contacts.data.columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {contacts.data.rows.map((row) => (
          <tr key={String(row.id)}>
            {contacts.data.columns.map((column) => (
              <td key={column}>
                {Array.isArray(row[column])
                  ? (row[column] as string[]).join(', ')
                  : String(row[column] ?? '')}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What Rewind asks of Neon, folded by default (and polled only while open). */
function NeonPanel() {
  const [open, setOpen] = useState(false);
  const view = useQuery({
    queryKey: ['neon'],
    queryFn: getNeonView,
    refetchInterval: 1_000,
    enabled: open,
  });
  return (
    <aside aria-label="What Neon sees" className="neon">
      <details onToggle={(event) => setOpen(event.currentTarget.open)}>
        <summary>What Neon sees</summary>
        {!view.data ? (
          <p>Loading…</p>
        ) : (
          <div className="neon-body">
            <div>
              <h3>Branches</h3>
              <ul aria-label="Branches">
                {view.data.branches.map((b) => (
                  <li key={b.id}>
                    <strong>{b.name}</strong> <code>{b.id}</code> {b.default ? '(live)' : ''}{' '}
                    {b.restoreStatus ?? ''} {b.state}
                  </li>
                ))}
              </ul>
            </div>
            <div>
              <h3>Recent operations</h3>
              <ol aria-label="Operations">
                {view.data.operations.map((op) => (
                  <li key={op.id}>
                    {op.action}: {op.status}
                  </li>
                ))}
              </ol>
            </div>
          </div>
        )}
      </details>
    </aside>
  );
}
