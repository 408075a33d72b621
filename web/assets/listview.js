// What of the file list is shown, and in which order: a search by name, a sort (date, name,
// size) and a status filter, applied to the rows on the page; and the rows ticked for an
// action on several files at once. A leaf: the list (files.js) calls it after every change.

import { $, show } from './dom.js';
import { state } from './state.js';

const BEING_CHECKED = new Set(['pending', 'scanning']);

function matches(row, query, status) {
  if (query && !row.dataset.name.toLocaleLowerCase().includes(query)) return false;
  if (!status) return true;
  if (status === 'judging') return BEING_CHECKED.has(row.dataset.status);
  return row.dataset.status === status;
}

function comparer(sort) {
  const [key, dir] = sort.split('-');
  const sign = dir === 'asc' ? 1 : -1;
  const value = {
    date: (r) => r.dataset.created ?? '',
    size: (r) => Number(r.dataset.size ?? 0),
    name: (r) => r.dataset.name ?? '',
  }[key];
  return (a, b) => {
    const [x, y] = [value(a), value(b)];
    if (key === 'name') return sign * x.localeCompare(y, undefined, { sensitivity: 'base', numeric: true });
    return sign * (x < y ? -1 : x > y ? 1 : 0);
  };
}

// Whether the person narrowed or reordered the list (then every page of files is wanted).
export function narrowed() {
  return $('#file-search').value.trim() !== '' || $('#file-status').value !== '' || $('#file-sort').value !== 'date-desc';
}

// Orders and filters the rows now on the page; moves a row only when the order changed, so a
// verdict that re-draws a row in place shifts nothing.
export function applyView() {
  const body = $('#files tbody');
  const query = $('#file-search').value.trim().toLocaleLowerCase();
  const status = $('#file-status').value;
  const rows = [...body.rows];
  const sorted = [...rows].sort(comparer($('#file-sort').value));
  if (sorted.some((r, i) => r !== rows[i])) body.append(...sorted);
  let shown = 0;
  for (const row of sorted) {
    const visible = matches(row, query, status);
    if (row.hidden === visible) row.hidden = !visible;
    if (visible) shown += 1;
  }
  show($('#files-none-match'), rows.length > 0 && shown === 0);
  updateSelection();
}

// The ids ticked among the rows shown (a row hidden by the search is not acted on).
export function selectedIds() {
  return [...$('#files tbody').rows]
    .filter((r) => !r.hidden && r.dataset.id && state.selected.has(r.dataset.id))
    .map((r) => r.dataset.id);
}

export function updateSelection() {
  for (const id of [...state.selected]) if (!state.files.has(id)) state.selected.delete(id);
  const n = selectedIds().length;
  $('#selected-count').textContent = n === 0 ? 'None selected' : `${n} selected`;
  $('#download-selected').disabled = n === 0;
  $('#delete-selected').disabled = n === 0;
  const boxes = [...$('#files tbody').querySelectorAll('tr:not([hidden]) input.select:not(:disabled)')];
  const all = $('#select-all');
  all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
  all.indeterminate = !all.checked && boxes.some((b) => b.checked);
}

export function select(id, yes) {
  if (yes) state.selected.add(id);
  else state.selected.delete(id);
  updateSelection();
}

// `onNarrow` runs when the search, sort or filter changes (to load the older pages too).
export function wireListView(onNarrow) {
  const changed = () => {
    applyView();
    if (narrowed()) onNarrow();
  };
  $('#file-search').addEventListener('input', changed);
  $('#file-sort').addEventListener('change', changed);
  $('#file-status').addEventListener('change', changed);
  $('#select-all').addEventListener('change', (e) => {
    const on = e.target.checked;
    for (const box of $('#files tbody').querySelectorAll('tr:not([hidden]) input.select:not(:disabled)')) {
      box.checked = on;
      if (on) state.selected.add(box.closest('tr').dataset.id);
      else state.selected.delete(box.closest('tr').dataset.id);
    }
    updateSelection();
  });
}
