//! Settings → Stripe: the secret key, the webhook signing secret and the
//! publishable key. The server never returns the secrets, so their fields
//! start empty and show only whether a value is set.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { Field, describedBy } from '../components/Field';
import {
  loadStripeSettings,
  messageOf,
  refreshBillingStatusQuietly,
  saveStripeSettings,
  type StripeSettings as StripeSettingsView,
  type StripeSettingsUpdate,
} from '../billing/api';

type SettingField = 'secret_key' | 'webhook_secret' | 'publishable_key';

/** The environment variable that fixes each setting when present. */
const ENV_VAR: Record<SettingField, string> = {
  secret_key: 'STRIPE_SECRET_KEY',
  webhook_secret: 'STRIPE_WEBHOOK_SECRET',
  publishable_key: 'STRIPE_PUBLISHABLE_KEY',
};

type Values = Record<SettingField, string>;
type Errors = Partial<Record<SettingField | 'form', string>>;

const EMPTY: Values = { secret_key: '', webhook_secret: '', publishable_key: '' };

export function StripeSettings() {
  const [settings, setSettings] = useState<StripeSettingsView | null>(null);
  const [values, setValues] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);

  const show = (view: StripeSettingsView) => {
    setSettings(view);
    setValues({ ...EMPTY, publishable_key: view.publishable_key ?? '' });
  };

  useEffect(() => {
    loadStripeSettings()
      .then(show)
      .catch((cause: unknown) => {
        setErrors({ form: `The Stripe settings could not be loaded: ${messageOf(cause)}` });
      });
  }, []);

  const locked = (field: SettingField) =>
    settings === null || !settings.can_save || settings.from_environment.includes(ENV_VAR[field]);

  const allLocked = (Object.keys(ENV_VAR) as SettingField[]).every(locked);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!settings) return;
    setSaved('');
    // Empty secret fields and an unchanged publishable key are left out, so they stay as stored.
    const update: StripeSettingsUpdate = {};
    if (!locked('secret_key') && values.secret_key.trim() !== '') {
      update.secret_key = values.secret_key.trim();
    }
    if (!locked('webhook_secret') && values.webhook_secret.trim() !== '') {
      update.webhook_secret = values.webhook_secret.trim();
    }
    const publishable = values.publishable_key.trim();
    if (
      !locked('publishable_key') &&
      publishable !== '' &&
      publishable !== (settings.publishable_key ?? '')
    ) {
      update.publishable_key = publishable;
    }
    if (Object.keys(update).length === 0) {
      setErrors({ form: 'Nothing to save: enter a new value in at least one field.' });
      return;
    }

    setBusy(true);
    try {
      const view = await saveStripeSettings(update);
      show(view);
      setErrors({});
      setSaved('Stripe settings saved. They are in use now.');
      refreshBillingStatusQuietly();
    } catch (cause) {
      const field = cause instanceof ApiError ? cause.field : undefined;
      if (field === 'secret_key' || field === 'webhook_secret' || field === 'publishable_key') {
        setErrors({ [field]: messageOf(cause) });
      } else {
        setErrors({ form: messageOf(cause) });
      }
    } finally {
      setBusy(false);
    }
  };

  const input = (field: SettingField) => ({
    value: values[field],
    disabled: locked(field),
    autoComplete: 'off',
    spellcheck: false,
    onInput: (event: Event) => {
      const value = (event.currentTarget as HTMLInputElement).value;
      setValues((current) => ({ ...current, [field]: value }));
    },
  });

  const hintFor = (field: SettingField, setText: string): string => {
    if (settings?.from_environment.includes(ENV_VAR[field])) {
      return `${setText}. Fixed by the environment variable ${ENV_VAR[field]}, which wins over this screen: change it there and restart melody.`;
    }
    return setText;
  };

  const secretState = (set: boolean | undefined) => (set ? 'Set' : 'Not set');

  return (
    <section class="manage settings" aria-labelledby="stripe-heading">
      <h2 id="stripe-heading">Stripe</h2>
      <p>
        melody uses these keys to save cards and start subscriptions. Find them in the Stripe
        dashboard under Developers → API keys.
      </p>
      {settings && !settings.can_save ? (
        <p class="notice" data-testid="settings-read-only">
          This server cannot store settings, so this screen is read-only. Set STRIPE_SECRET_KEY,
          STRIPE_WEBHOOK_SECRET and STRIPE_PUBLISHABLE_KEY in melody's environment instead.
        </p>
      ) : null}

      <form class="form" onSubmit={(event) => void submit(event)} noValidate>
        {errors.form ? (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        ) : null}
        <Field
          id="stripe-secret-key"
          label="Secret key"
          error={errors.secret_key}
          hint={hintFor(
            'secret_key',
            `${secretState(settings?.secret_key_set)}. Starts with sk_ or rk_; leave empty to keep the stored key`,
          )}
        >
          <input
            type="password"
            placeholder="sk_live_… or sk_test_…"
            {...describedBy('stripe-secret-key', errors.secret_key, 'hint')}
            {...input('secret_key')}
          />
        </Field>
        <Field
          id="stripe-webhook-secret"
          label="Webhook signing secret"
          error={errors.webhook_secret}
          hint={hintFor(
            'webhook_secret',
            `${secretState(settings?.webhook_secret_set)}. Starts with whsec_; leave empty to keep the stored secret`,
          )}
        >
          <input
            type="password"
            placeholder="whsec_…"
            {...describedBy('stripe-webhook-secret', errors.webhook_secret, 'hint')}
            {...input('webhook_secret')}
          />
        </Field>
        <Field
          id="stripe-publishable-key"
          label="Publishable key"
          error={errors.publishable_key}
          hint={hintFor(
            'publishable_key',
            `${settings?.publishable_key ? 'Set' : 'Not set'}. Starts with pk_; the card form loads Stripe.js with it`,
          )}
        >
          <input
            type="text"
            placeholder="pk_live_… or pk_test_…"
            {...describedBy('stripe-publishable-key', errors.publishable_key, 'hint')}
            {...input('publishable_key')}
          />
        </Field>
        <div class="actions">
          <button type="submit" disabled={busy || allLocked}>
            Save Stripe settings
          </button>
        </div>
        <p role="status">{saved}</p>
      </form>

      <section class="notice" aria-labelledby="webhook-heading">
        <h3 id="webhook-heading">Webhook forwarding</h3>
        <p>
          Stripe tells melody about saved cards, subscriptions and payments through webhooks. While
          melody runs on this computer, forward them with the Stripe CLI (4242 is melody's usual
          port; use the port it listens on):
        </p>
        <pre>
          <code>stripe listen --forward-to http://localhost:4242/api/webhooks/stripe</code>
        </pre>
        <p>
          The command prints a signing secret that starts with <code>whsec_</code>. Paste it into
          Webhook signing secret above and save.
        </p>
        {settings ? (
          <p class="hint">
            Stripe API address in use: <code>{settings.api_base}</code>
          </p>
        ) : null}
      </section>
    </section>
  );
}
