//! Runs once before the browser tests: starts the server they drive and passes
//! its URL to the test workers through environment variables.
import { removeDir, startMelody, startPreview, stop, type Started } from './server';

export const STUDIO_TIMEZONE = process.env.MELODY_TEST_TIMEZONE ?? 'America/New_York';

/** Checks whether the server returns the UI's HTML page at `/`. */
async function servesUi(url: string): Promise<boolean> {
  const response = await fetch(url);
  return response.ok && (response.headers.get('content-type') ?? '').includes('text/html');
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const melody = await startMelody(STUDIO_TIMEZONE);
  let preview: Started | undefined;
  try {
    let uiUrl = process.env.MELODY_UI_URL;
    if (!uiUrl) {
      if (await servesUi(melody.url)) {
        uiUrl = melody.url;
      } else {
        // NOTE: this binary does not embed the UI, so `dist/` is served by Vite.
        preview = await startPreview(melody.url);
        uiUrl = preview.url;
      }
    }
    process.env.MELODY_API_URL = melody.url;
    process.env.MELODY_UI_URL = uiUrl;
    process.env.MELODY_TEST_TIMEZONE = STUDIO_TIMEZONE;
    console.log(`melody at ${melody.url}, UI at ${uiUrl}`);
  } catch (error) {
    await stop(melody);
    removeDir(melody.dataDir);
    throw error;
  }

  return async () => {
    await stop(preview);
    await stop(melody);
    removeDir(melody.dataDir);
  };
}
