// Create or modify a service from its JSON spec. Every edit is checked by the
// API's validate route (what `pier validate` says), and the errors are listed
// at their paths before anything is submitted; choosing an error selects that
// field in the text.

import { ApiError, api, svcPath } from './api.js';
import { h, replace, toast } from './dom.js';
import { running, settle } from './progress.js';

const TEMPLATE = {
  name: 'my-service',
  metadata: { instance: 1 },
  containers: [{ command: 'python3 -m http.server 8000', port: 8000 }],
};

export function editorView(root, name) {
  const abort = new AbortController();
  const text = h('textarea', {
    id: 'spec',
    spellcheck: 'false',
    rows: 24,
    'aria-describedby': 'spec-errors',
    'aria-label': 'Service spec (JSON)',
  });
  const errors = h('ul', { id: 'spec-errors', class: 'errors', 'aria-live': 'polite' });
  const warnings = h('ul', { id: 'spec-warnings', class: 'warnings' });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', id: 'submit', disabled: true },
    name ? 'Save' : 'Create',
  );
  const progress = h('div', { id: 'progress', class: 'progress', role: 'status', hidden: true });
  let timer;
  let seq = 0;

  const show = (list, kind) =>
    list.map((e) =>
      h(
        'li',
        { dataset: { path: e.path } },
        h(
          'button',
          { type: 'button', class: 'link', onclick: () => selectPath(text, e.path) },
          h('code', { class: 'path' }, e.path || '(spec)'),
        ),
        ` ${e.message}`,
        kind === 'warn' ? h('span', { class: 'muted small' }, ' (warning)') : null,
      ),
    );

  const check = async () => {
    const mine = ++seq;
    let spec;
    try {
      spec = JSON.parse(text.value);
    } catch (err) {
      text.setAttribute('aria-invalid', 'true');
      replace(errors, show([{ path: '(json)', message: err.message }]));
      replace(warnings);
      submit.disabled = true;
      return undefined;
    }
    try {
      const result = await api('POST', '/api/v1/validate', spec, abort.signal);
      if (mine !== seq) return undefined;
      text.setAttribute('aria-invalid', String(!result.ok));
      replace(errors, show(result.errors));
      replace(warnings, show(result.warnings ?? [], 'warn'));
      submit.disabled = !result.ok;
      return result.ok ? spec : undefined;
    } catch (err) {
      replace(errors, show([{ path: '', message: err.message }]));
      return undefined;
    }
  };

  const form = h(
    'form',
    {
      class: 'editor',
      onsubmit: async (e) => {
        e.preventDefault();
        const spec = await check();
        if (!spec) return;
        submit.disabled = true;
        try {
          if (name) await api('PATCH', svcPath(name), { replace: spec });
          else await api('POST', '/api/v1/services', spec);
          const target = name ?? spec.name ?? spec.metadata?.name;
          await settle(
            progress,
            target,
            name ? `Updating ${target}` : `Creating ${target}`,
            (d) => running(d) && d.instances.ready === d.desired,
          );
          toast(`${target} is running`);
          location.hash = `#/s/${encodeURIComponent(target)}`;
        } catch (err) {
          if (err instanceof ApiError && err.errors.length > 0) replace(errors, show(err.errors));
          else replace(errors, show([{ path: '', message: err.message }]));
          submit.disabled = false;
        }
      },
    },
    h('h1', {}, name ? `Edit ${name}` : 'New service'),
    h(
      'p',
      { class: 'muted' },
      'A PAI-EAS service spec in JSON. Errors show up below as you type, at the path where they are.',
    ),
    text,
    errors,
    warnings,
    h(
      'div',
      { class: 'actions' },
      submit,
      h('a', { class: 'button', href: name ? `#/s/${encodeURIComponent(name)}` : '#/' }, 'Cancel'),
    ),
    progress,
  );
  text.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  replace(root, form);

  (async () => {
    if (name) {
      try {
        const d = await api('GET', svcPath(name), undefined, abort.signal);
        text.value = JSON.stringify({ ...d.spec, metadata: { ...d.spec.metadata, instance: d.desired } }, null, 2);
      } catch (err) {
        replace(errors, show([{ path: '', message: err.message }]));
        return;
      }
    } else text.value = JSON.stringify(TEMPLATE, null, 2);
    check();
    text.focus();
  })();
  return () => {
    abort.abort();
    clearTimeout(timer);
  };
}

/** Selects the last key of a dotted path ("metadata.instance", "containers[0].port") in the text. */
function selectPath(textarea, path) {
  const keys = String(path)
    .split(/[.[\]]+/)
    .filter((k) => k && !/^\d+$/.test(k));
  let from = 0;
  let at = -1;
  for (const key of keys) {
    const i = textarea.value.indexOf(`"${key}"`, from);
    if (i < 0) break;
    at = i;
    from = i + 1;
  }
  textarea.focus();
  if (at >= 0) textarea.setSelectionRange(at, at + keys.at(-1).length + 2);
}
