// The console's entry: login, then a hash router (#/, #/s/NAME, #/new,
// #/edit/NAME, #/groups). Each view returns a cleanup that ends its streams and timers.

import { session, tryToken } from './api.js';
import { h, replace } from './dom.js';
import { editorView } from './editor.js';
import { groupsView } from './groups.js';
import { listView } from './list.js';
import { serviceView } from './service.js';

const view = document.getElementById('view');
const nav = document.getElementById('nav');
let cleanup = () => {};

function loginView() {
  nav.hidden = true;
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'aria-describedby': 'token-help',
  });
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'login card',
      onsubmit: async (e) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        if (await tryToken(token)) {
          session.set(token);
          route();
        } else {
          error.textContent = 'That is not the admin token of this Pier.';
          input.select();
        }
      },
    },
    h('h1', {}, 'Sign in to Pier'),
    h('label', { for: 'token' }, 'Admin token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'muted' },
      'Printed by "pier server" at start and kept in PIER_HOME/admin-token. It stays in this tab only.',
    ),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  replace(view, form);
  input.focus();
  return () => {};
}

function route() {
  cleanup();
  if (!session.token()) {
    cleanup = loginView();
    return;
  }
  nav.hidden = false;
  const hash = location.hash.replace(/^#/, '') || '/';
  const parts = hash.split('/').map(decodeURIComponent);
  if (parts[1] === 's' && parts[2]) cleanup = serviceView(view, parts[2]);
  else if (parts[1] === 'new') cleanup = editorView(view);
  else if (parts[1] === 'groups') cleanup = groupsView(view);
  else if (parts[1] === 'edit' && parts[2]) cleanup = editorView(view, parts[2]);
  else cleanup = listView(view);
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#${hash}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

document.getElementById('signout').addEventListener('click', () => {
  session.clear();
  route();
});
window.addEventListener('pier:signed-out', route);
window.addEventListener('hashchange', route);
route();
