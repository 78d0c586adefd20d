//! Calendar feeds: subscribe URLs that let a teacher, a room or instrument, or
//! a student follow their lessons in a calendar app. The URL is shown once,
//! because the server stores only a hash of its token.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { components } from '../api/schema.gen';
import { Field, describedBy } from '../components/Field';
import { fieldErrorsFrom, type FieldErrors } from '../booking/errors';
import { directory, serverStatus, type Directory } from '../data';
import { useStore } from '../store';
import { formatInstant } from '../time';

type Feed = components['schemas']['FeedToken'];
type FeedKind = 'teacher' | 'resource' | 'student';

const KIND_LABELS: Record<FeedKind, string> = {
  teacher: 'Teacher',
  resource: 'Room or instrument',
  student: 'Student',
};

/** Options of the "for whom" list of a kind: the id the API expects and a name. */
function targetsOf(dir: Directory, kind: FeedKind): { id: string; name: string }[] {
  if (kind === 'resource') return dir.resources.map((r) => ({ id: r.id, name: r.name }));
  const people = kind === 'teacher' ? dir.teachers : dir.students;
  return people.map((person) => ({ id: String(person.id), name: person.name }));
}

function targetName(dir: Directory, feed: Feed): string {
  const kind = feed.kind as FeedKind;
  if (!(kind in KIND_LABELS)) return feed.target;
  return targetsOf(dir, kind).find((target) => target.id === feed.target)?.name ?? feed.target;
}

export function FeedsScreen() {
  const dir = useStore(directory);
  const status = useStore(serverStatus);
  const zone = status?.studio_timezone ?? 'UTC';
  const [feeds, setFeeds] = useState<Feed[]>([]);
  const [listError, setListError] = useState('');
  const [created, setCreated] = useState<{ feed: Feed; url: string } | null>(null);
  const [announcement, setAnnouncement] = useState('');

  const reload = async () => {
    try {
      setFeeds(await call(api.GET('/api/feeds')));
      setListError('');
    } catch (cause) {
      setListError(cause instanceof Error ? cause.message : String(cause));
    }
  };

  useEffect(() => {
    void reload();
  }, []);

  return (
    <section class="manage feeds" aria-labelledby="feeds-heading">
      <h2 id="feeds-heading">Calendar feeds</h2>
      <p class="hint">
        A feed is a URL that a calendar app subscribes to, showing one teacher's, room's or
        student's lessons. Anyone with the URL can read the feed until it is revoked. The calendar
        app must be able to reach this server.
      </p>

      <CreateFeedForm
        onCreated={(feed, url) => {
          setCreated({ feed, url });
          setAnnouncement('');
          void reload();
        }}
      />

      {created ? (
        <CreatedFeed
          url={created.url}
          who={`${KIND_LABELS[created.feed.kind as FeedKind]} ${targetName(dir, created.feed)}`}
        />
      ) : null}

      <h3>Active feeds</h3>
      <p role="status">{announcement}</p>
      {listError ? (
        <p class="form-error" role="alert">
          The feeds could not be loaded: {listError}
        </p>
      ) : null}
      {feeds.length === 0 ? (
        <p>No active feeds.</p>
      ) : (
        <table>
          <caption class="visually-hidden">Active feeds</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">For</th>
              <th scope="col">Token starts with</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {feeds.map((feed) => (
              <FeedRow
                key={feed.id}
                feed={feed}
                name={targetName(dir, feed)}
                zone={zone}
                onRevoked={(text) => {
                  setAnnouncement(text);
                  if (created?.feed.id === feed.id) setCreated(null);
                  void reload();
                }}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CreateFeedForm({ onCreated }: { onCreated: (feed: Feed, url: string) => void }) {
  const dir = useStore(directory);
  const [kind, setKind] = useState<FeedKind>('teacher');
  const [target, setTarget] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const targets = targetsOf(dir, kind);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (target === '') {
      setErrors({ id: `Choose the ${KIND_LABELS[kind].toLowerCase()} of the feed.` });
      return;
    }
    setBusy(true);
    try {
      const answer = await call(api.POST('/api/feeds', { body: { kind, id: target } }));
      setErrors({});
      onCreated(answer.feed, `${window.location.origin}${answer.path}`);
    } catch (cause) {
      const found = fieldErrorsFrom(cause, dir);
      // Not-found errors name `teacher_id` and the like; the form has one "for whom" list.
      const { form, ...byField } = found;
      const fieldMessage = Object.values(byField)[0];
      setErrors(fieldMessage ? { id: fieldMessage, form } : found);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={(event) => void submit(event)} noValidate>
      <h3>New feed</h3>
      {errors.form ? (
        <p class="form-error" role="alert">
          {errors.form}
        </p>
      ) : null}
      <div class="field-row">
        <Field id="feed-kind" label="Feed of a" error={errors.kind}>
          <select
            {...describedBy('feed-kind', errors.kind)}
            value={kind}
            onChange={(event) => {
              setKind(event.currentTarget.value as FeedKind);
              setTarget('');
            }}
          >
            {(Object.keys(KIND_LABELS) as FeedKind[]).map((value) => (
              <option key={value} value={value}>
                {KIND_LABELS[value]}
              </option>
            ))}
          </select>
        </Field>
        <Field id="feed-target" label="For" error={errors.id}>
          <select
            {...describedBy('feed-target', errors.id)}
            value={target}
            onChange={(event) => {
              setTarget(event.currentTarget.value);
            }}
          >
            <option value="">Choose…</option>
            {targets.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div class="actions">
        <button type="submit" disabled={busy}>
          Create feed
        </button>
      </div>
    </form>
  );
}

function CreatedFeed({ url, who }: { url: string; who: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [copyStatus, setCopyStatus] = useState('');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopyStatus('Copied the URL.');
    } catch {
      // No clipboard access (an insecure origin or a denied permission): select the
      // text so that Ctrl+C copies it.
      input.current?.focus();
      input.current?.select();
      setCopyStatus('The URL could not be copied automatically: it is selected, press Ctrl+C.');
    }
  };

  return (
    <section class="notice feed-created" aria-labelledby="feed-created-heading">
      <h3 id="feed-created-heading">Feed created for {who}</h3>
      <Field
        id="feed-url"
        label="Feed URL"
        hint="Copy it now: it is shown only once. Paste it into the calendar app's “subscribe by URL”."
      >
        <input
          ref={input}
          readOnly
          {...describedBy('feed-url', undefined, 'hint')}
          value={url}
          onFocus={(event) => {
            event.currentTarget.select();
          }}
        />
      </Field>
      <div class="actions">
        <button type="button" onClick={() => void copy()}>
          Copy URL
        </button>
      </div>
      <p role="status">{copyStatus}</p>
    </section>
  );
}

interface FeedRowProps {
  feed: Feed;
  name: string;
  zone: string;
  onRevoked: (announcement: string) => void;
}

function FeedRow({ feed, name, zone, onRevoked }: FeedRowProps) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState('');
  const kindLabel = feed.kind in KIND_LABELS ? KIND_LABELS[feed.kind as FeedKind] : feed.kind;

  const revoke = async () => {
    try {
      await call(api.POST('/api/feeds/{id}/revoke', { params: { path: { id: feed.id } } }));
      onRevoked(`Revoked the feed of ${name}: its URL no longer works.`);
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause));
    }
  };

  return (
    <tr>
      <td>{kindLabel}</td>
      <td>{name}</td>
      <td>
        <code>{feed.token_hint}…</code>
      </td>
      <td>{formatInstant(feed.created_at, zone)}</td>
      <td>
        {confirming ? (
          <div class="actions" role="group" aria-label={`Revoke the feed of ${name}?`}>
            <span>Calendar apps using it stop updating.</span>
            <button type="button" class="danger" onClick={() => void revoke()}>
              Revoke feed
            </button>
            <button
              type="button"
              class="secondary"
              autoFocus
              onClick={() => {
                setConfirming(false);
              }}
            >
              Keep
            </button>
          </div>
        ) : (
          <button
            type="button"
            class="secondary"
            aria-label={`Revoke the feed of ${name} (${feed.token_hint})`}
            onClick={() => {
              setConfirming(true);
            }}
          >
            Revoke…
          </button>
        )}
        {error ? (
          <p class="form-error" role="alert">
            {error}
          </p>
        ) : null}
      </td>
    </tr>
  );
}
