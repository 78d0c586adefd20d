//! The app shell: navigation, the staff name, the active screen and the status bar.
import { useEffect, useState } from 'preact/hooks';
import { readActor, saveActor } from './actor';
import { CalendarScreen } from './calendar/CalendarScreen';
import { loadDirectory, loadStatus, serverStatus } from './data';
import { FeedsScreen } from './feeds/FeedsScreen';
import { ImportScreen } from './importer/ImportScreen';
import { ManagePeople } from './manage/ManagePeople';
import { ManageResources } from './manage/ManageResources';
import { SettingsScreen } from './settings/SettingsScreen';
import { StatusBar } from './StatusBar';
import { useStore } from './store';

const SCREENS = {
  calendar: 'Calendar',
  resources: 'Rooms and instruments',
  people: 'Teachers and students',
  feeds: 'Calendar feeds',
  import: 'Import',
  settings: 'Settings',
} as const;

type Screen = keyof typeof SCREENS;

function screenFromHash(): Screen {
  const name = window.location.hash.replace(/^#\/?/, '');
  return name in SCREENS ? (name as Screen) : 'calendar';
}

const HEALTH_POLL_MS = 15_000;

export function App() {
  const status = useStore(serverStatus);
  const [screen, setScreen] = useState<Screen>(screenFromHash);
  const [actor, setActor] = useState(readActor);
  const [loadError, setLoadError] = useState('');

  useEffect(() => {
    const load = () =>
      Promise.all([loadStatus(), loadDirectory()])
        .then(() => {
          setLoadError('');
        })
        .catch((error: unknown) => {
          setLoadError(error instanceof Error ? error.message : String(error));
        });
    void load();
    // Polling the status keeps the status bar's server state current while idle.
    const timer = window.setInterval(
      () => void loadStatus().catch(() => undefined),
      HEALTH_POLL_MS,
    );
    const onHash = () => {
      setScreen(screenFromHash());
    };
    window.addEventListener('hashchange', onHash);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener('hashchange', onHash);
    };
  }, []);

  return (
    <div class="app">
      <header class="app-header">
        <h1>Melody and Meter</h1>
        <nav aria-label="Screens">
          {(Object.keys(SCREENS) as Screen[]).map((name) => (
            <a key={name} href={`#/${name}`} aria-current={screen === name ? 'page' : undefined}>
              {SCREENS[name]}
            </a>
          ))}
        </nav>
        <div class="actor">
          <label for="actor-name">Staff name</label>
          <input
            id="actor-name"
            value={actor}
            placeholder="Who is at the desk"
            onInput={(event) => {
              setActor(event.currentTarget.value);
              saveActor(event.currentTarget.value);
            }}
          />
        </div>
      </header>

      <main>
        {loadError ? (
          <p class="form-error" role="alert">
            The studio data could not be loaded: {loadError}
          </p>
        ) : null}
        {screen === 'calendar' && status ? <CalendarScreen zone={status.studio_timezone} /> : null}
        {screen === 'resources' ? <ManageResources /> : null}
        {screen === 'people' ? <ManagePeople /> : null}
        {screen === 'feeds' ? <FeedsScreen /> : null}
        {screen === 'import' && status ? <ImportScreen zone={status.studio_timezone} /> : null}
        {screen === 'settings' ? <SettingsScreen /> : null}
      </main>

      <StatusBar />
    </div>
  );
}
