// A tiny element builder. Text always goes in as text nodes, never as HTML: file names,
// labels and uploader names come from strangers.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function show(el, visible) {
  el.hidden = !visible;
}

// Shows a message in a live region (read out by screen readers), or clears it.
export function say(el, text, kind = 'error') {
  el.textContent = text ?? '';
  el.dataset.kind = kind;
  el.hidden = !text;
}

// A modal question; resolves true when confirmed. Keyboard: Enter confirms, Escape cancels.
export function ask(question, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'ask', 'aria-label': question });
    const yes = h('button', { type: 'button', class: 'danger' }, confirmLabel);
    const no = h('button', { type: 'button' }, 'Cancel');
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener('click', () => close(true));
    no.addEventListener('click', () => close(false));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(false);
    });
    dialog.append(h('p', {}, question), h('div', { class: 'row' }, no, yes));
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

// The token in a public page's address (/d/{token}, /s/{token}). A malformed address (a stray
// %) is an unknown token, not a page stuck on "Loading".
export function tokenFromPath() {
  try {
    return decodeURIComponent(location.pathname.split('/')[2] ?? '');
  } catch {
    return '';
  }
}

// Replaces a public page's content (`#${content}`) by its closed page in words: `pages` maps
// an error code to [title, text]; anything else gets `fallback`'s title and `text`.
export function closedPage(content, pages, code, [fallbackTitle, fallbackText]) {
  const [title, text] = pages[code] ?? [fallbackTitle, fallbackText];
  $('#closed-title').textContent = title;
  $('#closed-text').textContent = text;
  document.title = `${title} · Dropgate`;
  show($('#loading'), false);
  show($(`#${content}`), false);
  show($('#closed'), true);
}

// Lookups by label text (a person's voice control, a test driving the page "by its labels")
// see every `<label for>` in the document, shown or not: the log-in and sign-up forms both ask
// for "Email" and "Password", the link form and the share dialog both for "Expires after". So a
// label is tied to its control only while the control can be used: not inside anything hidden
// or a closed dialog, and, while a modal dialog is open, only inside that dialog (the rest of the
// page is inert then). Kept true on every change of `hidden` or `open` below `root`.
export function tieLabelsToUsableControls(root = document.body) {
  const relabel = () => {
    const modal = [...root.querySelectorAll('dialog[open]')].find((d) => d.matches(':modal'));
    for (const label of root.querySelectorAll('label[for], label[data-for]')) {
      const usable = !label.closest('[hidden], dialog:not([open])') && (!modal || modal.contains(label));
      const control = label.getAttribute('for') ?? label.dataset.for;
      if (usable && !label.hasAttribute('for')) {
        label.htmlFor = control;
        delete label.dataset.for;
      } else if (!usable && label.hasAttribute('for')) {
        label.dataset.for = control;
        label.removeAttribute('for');
      }
    }
  };
  relabel();
  // Only `hidden` and `open` change what can be used (the pages create no labels), so text and
  // row updates while uploading wake nothing.
  new MutationObserver(relabel).observe(root, { subtree: true, attributes: true, attributeFilter: ['hidden', 'open'] });
}

// Each `button.reveal` shows or hides the password field it controls (`aria-controls`), and
// says what a press will do. A password shown is hidden again when its form is sent, so it is
// not left on screen.
export function wirePasswordToggles(root = document) {
  for (const button of root.querySelectorAll('button.reveal[aria-controls]')) {
    const input = document.getElementById(button.getAttribute('aria-controls'));
    if (!input) continue;
    const set = (shown) => {
      input.type = shown ? 'text' : 'password';
      // Named in full ("Show password") for a screen reader, one word on screen.
      button.replaceChildren(shown ? 'Hide' : 'Show', h('span', { class: 'visually-hidden' }, ' password'));
    };
    button.addEventListener('click', () => set(input.type === 'password'));
    input.form?.addEventListener('submit', () => set(false));
  }
}
