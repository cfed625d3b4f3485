import type { Version } from '@rewind/protocol';
import { RestoreButton, RewindProvider, useVersions, VersionPreview, VersionTimeline } from '@rewind/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
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
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['contacts'] });
    void queryClient.invalidateQueries({ queryKey: ['rewind'] });
  };
  return (
    <RewindProvider url="/api/rewind">
      <header className="top">
        <h1>Rewind playground</h1>
        <p>A contacts app that an agent changes prompt by prompt. Every prompt is a database version.</p>
      </header>
      <main className="layout">
        <section aria-labelledby="agent-title" className="panel">
          <h2 id="agent-title">Agent</h2>
          <Agent onChanged={refresh} />
          <h3>Or run prompts yourself</h3>
          <Prompts onChanged={refresh} />
        </section>
        <section aria-labelledby="data-title" className="panel wide">
          <h2 id="data-title">Live data</h2>
          <LiveData />
        </section>
        <section aria-labelledby="versions-title" className="panel">
          <h2 id="versions-title">Versions</h2>
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
        <section aria-labelledby="neon-title" className="panel">
          <h2 id="neon-title">What Neon sees</h2>
          <NeonPanel />
        </section>
      </main>
    </RewindProvider>
  );
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

/**
 * The scripted agent (a mock model, no key): it builds the app through Rewind's tools, breaks it,
 * and asks before rolling back. The approval is the AI SDK's tool approval, answered here.
 */
function Agent({ onChanged }: { onChanged: () => void }) {
  const [turn, setTurn] = useState<AgentTurn | null>(null);
  const start = useMutation({ mutationFn: startAgent, onSuccess: setTurn, onSettled: onChanged });
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
      <button type="button" disabled={busy || Boolean(turn?.approval)} onClick={() => start.mutate()}>
        Run the agent
      </button>
      {busy ? <p aria-live="polite">The agent is working…</p> : null}
      {turn ? (
        <ol aria-label="Agent transcript" data-slot="transcript">
          {turn.steps.map((step, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the transcript only grows.
            <li key={i} data-slot={step.kind}>
              {step.text}
            </li>
          ))}
        </ol>
      ) : null}
      {turn?.approval && !busy ? (
        <fieldset data-slot="approval">
          <legend>Approval needed</legend>
          <p>
            The agent wants to restore “{turn.approval.versionLabel ?? 'a version'}”. Data written since then
            is replaced (and kept in an undo point).
          </p>
          <button type="button" onClick={() => answer.mutate(true)}>
            Approve restore
          </button>
          <button type="button" onClick={() => answer.mutate(false)}>
            Decline
          </button>
        </fieldset>
      ) : null}
      {start.error || answer.error ? <p role="alert">{(start.error ?? answer.error)?.message}</p> : null}
    </div>
  );
}

function Prompts({ onChanged }: { onChanged: () => void }) {
  const prompts = useQuery({ queryKey: ['prompts'], queryFn: getPrompts });
  const [sql, setSql] = useState('');
  const prompt = useMutation({ mutationFn: runPrompt, onSettled: onChanged });
  const free = useMutation({ mutationFn: runSql, onSuccess: () => setSql(''), onSettled: onChanged });
  const busy = prompt.isPending || free.isPending;
  return (
    <div className="prompts">
      {prompts.data?.prompts.map((p) => (
        <button key={p.id} type="button" disabled={busy} onClick={() => prompt.mutate(p.id)} title={p.prompt}>
          Run prompt {p.label}
        </button>
      ))}
      {prompt.error ? <p role="alert">{prompt.error.message}</p> : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          free.mutate(sql);
        }}
      >
        <label htmlFor="sql">Free-form SQL prompt</label>
        <textarea id="sql" rows={3} value={sql} onChange={(event) => setSql(event.target.value)} />
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

function NeonPanel() {
  const view = useQuery({ queryKey: ['neon'], queryFn: getNeonView, refetchInterval: 1_000 });
  if (!view.data) return <p>Loading…</p>;
  return (
    <div className="neon">
      <h3>Branches</h3>
      <ul aria-label="Branches">
        {view.data.branches.map((b) => (
          <li key={b.id}>
            <strong>{b.name}</strong> <code>{b.id}</code> {b.default ? '(live)' : ''} {b.restoreStatus ?? ''}{' '}
            {b.state}
          </li>
        ))}
      </ul>
      <h3>Recent operations</h3>
      <ol aria-label="Operations">
        {view.data.operations.map((op) => (
          <li key={op.id}>
            {op.action}: {op.status}
          </li>
        ))}
      </ol>
    </div>
  );
}
