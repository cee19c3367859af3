// Alerts and announcements: the alert bar everyone sees, and what screen readers hear.

import { $ } from './dom.js';

export function showAlert(message) {
  $('alert-text').textContent = message;
  $('alert').hidden = false;
}

export function hideAlert() { $('alert').hidden = true; }

/** Screen readers hear this once; the visible UI shows the same thing elsewhere. */
export function announce(message) {
  const announcer = $('announcer');
  announcer.textContent = '';
  // A fresh text node after a tick, so that the same message twice is announced twice.
  setTimeout(() => { announcer.textContent = message; }, 50);
}
