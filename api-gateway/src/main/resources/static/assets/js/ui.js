// Small DOM helpers. Every piece of data reaches the page as a text node or an attribute value, never as markup.

/**
 * Creates an element. `attrs`: `class`, `text` (text content), `on<Event>` (listeners), `dataset` (object),
 * booleans (set when true, left out when false), anything else as an attribute. Children: nodes, strings
 * (as text), arrays of them; null, undefined and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs ?? {})) {
        if (value === null || value === undefined || value === false) {
            continue;
        }
        if (key === 'class') {
            node.className = value;
        } else if (key === 'text') {
            node.textContent = String(value);
        } else if (key === 'dataset') {
            Object.assign(node.dataset, value);
        } else if (key.startsWith('on') && typeof value === 'function') {
            node.addEventListener(key.slice(2).toLowerCase(), value);
        } else if (key === 'value' && 'value' in node) {
            node.value = value;
        } else if (value === true) {
            node.setAttribute(key, '');
        } else {
            node.setAttribute(key, String(value));
        }
    }
    append(node, children);
    return node;
}

function append(node, children) {
    for (const child of children) {
        if (child === null || child === undefined || child === false) {
            continue;
        }
        if (Array.isArray(child)) {
            append(node, child);
        } else if (child instanceof Node) {
            node.appendChild(child);
        } else {
            node.appendChild(document.createTextNode(String(child)));
        }
    }
}

/** Replaces the children of `node` with `children`. */
export function replace(node, ...children) {
    node.replaceChildren();
    append(node, children);
    return node;
}

/** Says `message` to screen readers without moving focus. */
export function announce(message) {
    const region = document.getElementById('announcer');
    region.textContent = '';
    // A fresh text node after a tick, so that the same message twice is announced twice.
    setTimeout(() => { region.textContent = message; }, 50);
}

/** A short message in the corner; errors stay until dismissed. */
export function toast(message, kind = 'info') {
    const box = document.getElementById('toasts');
    const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status',
        'data-testid': `toast-${kind}` },
        h('span', { text: message }),
        h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', text: '×',
            onClick: () => item.remove() }));
    box.appendChild(item);
    if (kind !== 'error') {
        setTimeout(() => item.remove(), 6000);
    }
}

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
export const TASK_STATUSES = ['QUEUED', 'ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

export function isFinal(status) {
    return FINAL.has(status);
}

/** A task's status as a coloured badge with its name in words (colour is never the only cue). */
export function statusBadge(status, testid = 'task-status') {
    const name = String(status ?? 'UNKNOWN');
    return h('span', { class: `badge badge-${name.toLowerCase()}`, 'data-testid': testid, 'data-status': name },
        name.charAt(0) + name.slice(1).toLowerCase());
}

/** A table cell that also carries its column name, shown as a label when the table turns into cards. */
export function cell(label, ...children) {
    return h('td', { 'data-label': label }, ...children);
}

/** A table with a caption (visually hidden when `hiddenCaption`) and a header row. */
export function table({ caption, columns, rows, testid, hiddenCaption = true, className = '' }) {
    return h('table', { class: `data-table ${className}`.trim(), 'data-testid': testid },
        h('caption', { class: hiddenCaption ? 'visually-hidden' : null, text: caption }),
        h('thead', {}, h('tr', {}, columns.map(name => h('th', { scope: 'col', text: name })))),
        h('tbody', {}, rows));
}

/** A labelled form field; returns `{ wrapper, input, error }`. */
export function field({ label, name, type = 'text', value, hint, testid, required, options, attrs = {} }) {
    const id = `f-${name}-${Math.random().toString(36).slice(2, 8)}`;
    const errorId = `${id}-error`;
    const hintId = hint ? `${id}-hint` : null;
    let input;
    if (type === 'textarea') {
        input = h('textarea', { id, name, 'data-testid': testid, required, ...attrs });
        input.value = value ?? '';
    } else if (type === 'select') {
        input = h('select', { id, name, 'data-testid': testid, required, ...attrs },
            options.map(([optionValue, text]) => h('option', { value: optionValue, text,
                selected: String(optionValue) === String(value ?? '') })));
    } else {
        input = h('input', { id, name, type, 'data-testid': testid, required, ...attrs });
        if (value !== undefined && value !== null) {
            input.value = value;
        }
    }
    input.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
    const error = h('p', { class: 'field-error', id: errorId, 'data-testid': testid ? `${testid}-error` : null,
        hidden: true });
    const wrapper = h('div', { class: 'field' },
        h('label', { for: id, text: label }),
        hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null,
        input, error);
    return { wrapper, input, error };
}

/** Shows (or with null clears) an error message under a field made by `field`. */
export function setFieldError(f, message) {
    f.error.textContent = message ?? '';
    f.error.hidden = !message;
    if (message) {
        f.input.setAttribute('aria-invalid', 'true');
    } else {
        f.input.removeAttribute('aria-invalid');
    }
}

/**
 * A modal dialog (native <dialog>: the page behind is inert, so focus stays inside; Escape closes it). Resolves
 * with the value passed to `close` (undefined when dismissed); focus returns to `returnFocus` or to where it was.
 */
export function openDialog({ title, content, testid, actions = [], onOpen, returnFocus }) {
    const opener = returnFocus ?? document.activeElement;
    const titleId = `dlg-${Math.random().toString(36).slice(2, 8)}`;
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'data-testid': testid });
    let result;
    const close = value => {
        result = value;
        dialog.close();
    };
    const buttons = actions.map(action => h('button', {
        type: action.submit ? 'submit' : 'button',
        class: `button ${action.kind ?? 'secondary'}`,
        'data-testid': action.testid,
        text: action.label,
        onClick: action.submit ? null : () => action.onClick ? action.onClick(close) : close(action.value)
    }));
    const body = typeof content === 'function' ? content(close) : content;
    dialog.append(
        h('div', { class: 'dialog-head' },
            h('h2', { id: titleId, text: title }),
            h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', text: '×',
                onClick: () => close(undefined) })),
        body,
        buttons.length ? h('div', { class: 'dialog-actions' }, buttons) : null);
    document.body.appendChild(dialog);
    return new Promise(resolve => {
        dialog.addEventListener('close', () => {
            dialog.remove();
            // The opener may be gone (a table re-rendered meanwhile): then the page's main region takes focus.
            const target = opener instanceof HTMLElement && opener.isConnected ? opener
                : document.getElementById('main');
            target.focus();
            resolve(result);
        });
        dialog.showModal();
        onOpen?.(dialog, close);
    });
}

/** Asks a yes/no question; resolves true only on the confirming button. */
export function confirmAction(title, message, confirmLabel = 'Confirm', kind = 'danger') {
    return openDialog({
        title,
        testid: 'confirm-dialog',
        content: h('p', { text: message }),
        actions: [
            { label: 'Cancel', value: false, testid: 'confirm-cancel' },
            { label: confirmLabel, value: true, kind, testid: 'confirm-ok' }
        ],
        onOpen: dialog => dialog.querySelector('[data-testid="confirm-cancel"]').focus()
    }).then(value => value === true);
}

/** Copies text to the clipboard; falls back to selecting `fallbackNode` for Ctrl+C. */
export async function copyText(text, fallbackNode) {
    try {
        await navigator.clipboard.writeText(text);
        announce('Copied to the clipboard');
        toast('Copied to the clipboard');
    } catch {
        if (fallbackNode) {
            const range = document.createRange();
            range.selectNodeContents(fallbackNode);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }
        toast('Copying is not allowed here; the text is selected, press Ctrl+C', 'warning');
    }
}

// ---- formatting ----

export function formatTime(iso) {
    if (!iso) {
        return '—';
    }
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/** "12 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function formatAgo(iso, now = Date.now()) {
    if (!iso) {
        return 'never';
    }
    const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
    if (seconds < 90) {
        return `${seconds} s ago`;
    }
    if (seconds < 90 * 60) {
        return `${Math.round(seconds / 60)} min ago`;
    }
    if (seconds < 36 * 3600) {
        return `${Math.round(seconds / 3600)} h ago`;
    }
    return `${Math.round(seconds / 86400)} d ago`;
}

/** 850 ms, 12.3 s, 4 min 05 s, 2 h 03 min. */
export function formatDuration(ms) {
    if (ms === null || ms === undefined || Number.isNaN(ms)) {
        return '—';
    }
    if (ms < 1000) {
        return `${Math.round(ms)} ms`;
    }
    const seconds = ms / 1000;
    if (seconds < 60) {
        return `${seconds.toFixed(1)} s`;
    }
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) {
        return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, '0')} s`;
    }
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export function durationBetween(startIso, endIso) {
    if (!startIso) {
        return null;
    }
    const end = endIso ? new Date(endIso).getTime() : Date.now();
    return end - new Date(startIso).getTime();
}

export function formatBytes(bytes) {
    if (bytes === null || bytes === undefined) {
        return '—';
    }
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatMemoryMb(mb) {
    return mb === null || mb === undefined ? '—' : formatBytes(mb * 1024 * 1024);
}

export function shortId(id) {
    return id ? String(id).slice(0, 8) : '—';
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A heading plus an optional row of actions, the top of every view. */
export function viewHeader(title, ...actions) {
    return h('div', { class: 'view-header' }, h('h1', { id: 'view-title', text: title }),
        actions.length ? h('div', { class: 'actions' }, actions) : null);
}

/** A note in the flow of the page (not a toast), e.g. for a feature the platform does not offer yet. */
export function note(text, testid, kind = 'info') {
    return h('p', { class: `note note-${kind}`, 'data-testid': testid, text });
}

/** The message of an error for people: the problem's detail when there is one. */
export function errorMessage(error) {
    return error?.problem?.detail ?? error?.message ?? String(error);
}
