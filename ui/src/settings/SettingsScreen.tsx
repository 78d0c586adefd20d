//! The Settings screen. Stripe is its only section so far.
import { StripeSettings } from './StripeSettings';

export function SettingsScreen() {
  return (
    <div class="settings-screen">
      <h2 class="visually-hidden">Settings</h2>
      <StripeSettings />
    </div>
  );
}
