// Workers: the fleet with capacity and liveness; admins create workers, rotate tokens, drain and remove them.
import { ApiError, del, get, post } from '../api.js';
import { isLive, subscribe } from '../live.js';
import { isAdmin } from '../session.js';
import {
    cell, confirmAction, copyText, errorMessage, field, formatAgo, formatMemoryMb, h, openDialog, replace,
    setFieldError, table, toast, viewHeader
} from '../ui.js';

const POLL_MS = 10_000;

export async function render(root, ctx) {
    const admin = isAdmin();
    const results = h('div', { class: 'results', 'aria-busy': 'true' });
    const createButton = admin ? h('button', { type: 'button', class: 'button primary',
        'data-testid': 'create-worker', text: 'Create worker', onClick: createWorker }) : null;
    replace(root, viewHeader('Workers', h('button', { type: 'button', class: 'button secondary', text: 'Refresh',
        'data-testid': 'workers-refresh', onClick: () => load() }), createButton), results);

    async function load() {
        let workers;
        try {
            workers = await get('/api/v1/workers');
        } catch (error) {
            if (ctx.isCurrent()) {
                replace(results, h('p', { class: 'alert', role: 'alert', text: errorMessage(error) }));
            }
            return;
        }
        if (!ctx.isCurrent()) {
            return;
        }
        const columns = ['Status', 'Name', 'CPUs', 'Memory', 'GPUs', 'Labels', 'Running', 'Free slots',
            'Last heartbeat'];
        if (admin) {
            columns.push('Actions');
        }
        replace(results, workers.length === 0
            ? h('p', { class: 'empty', 'data-testid': 'workers-empty', text: admin
                ? 'No workers yet. Create one, then start an agent with its token.' : 'No workers yet.' })
            : table({ caption: 'Workers', testid: 'workers-table', columns,
                rows: workers.map(workerRow) }));
        results.setAttribute('aria-busy', 'false');
    }

    function workerRow(worker) {
        const caps = worker.capabilities;
        const online = worker.status === 'ONLINE';
        const labels = [...new Set([...(worker.labels ?? []), ...(caps?.labels ?? [])])];
        return h('tr', { 'data-testid': 'worker-row', 'data-worker-id': worker.id, 'data-status': worker.status },
            cell('Status', h('span', { class: `dot ${online ? 'dot-online' : 'dot-offline'}`, 'aria-hidden': 'true' }),
                h('span', { 'data-testid': 'worker-status', text: online ? 'Online' : 'Offline' })),
            cell('Name', h('span', { class: 'worker-name', 'data-testid': 'worker-name', text: worker.name }),
                caps?.hostname ? h('span', { class: 'muted small', text: ` ${caps.hostname}` }) : null),
            cell('CPUs', h('span', { 'data-testid': 'worker-cpus', text: caps ? caps.cpus : '—' })),
            cell('Memory', h('span', { 'data-testid': 'worker-memory',
                text: caps ? formatMemoryMb(caps.memoryMb) : '—' })),
            cell('GPUs', h('span', { 'data-testid': 'worker-gpus', text: gpuSummary(caps) })),
            cell('Labels', labels.length ? h('ul', { class: 'chips' }, labels.map(l => h('li', { text: l }))) : '—'),
            cell('Running', h('span', { 'data-testid': 'worker-running', text: worker.runningTasks?.length ?? 0 })),
            cell('Free slots', h('span', { 'data-testid': 'worker-free-slots',
                text: caps ? `${worker.freeSlots} / ${caps.slots}` : worker.freeSlots })),
            cell('Last heartbeat', h('time', { class: 'ago', 'data-testid': 'worker-heartbeat',
                datetime: worker.lastHeartbeatAt ?? '', text: formatAgo(worker.lastHeartbeatAt) })),
            admin ? cell('Actions', h('div', { class: 'row-actions' },
                h('button', { type: 'button', class: 'button secondary small', 'data-testid': 'worker-rotate',
                    text: 'Rotate token', 'aria-label': `Rotate the token of ${worker.name}`,
                    onClick: () => rotate(worker) }),
                h('button', { type: 'button', class: 'button secondary small', 'data-testid': 'worker-drain',
                    text: 'Drain', 'aria-label': `Drain ${worker.name}`, onClick: () => drain(worker) }),
                h('button', { type: 'button', class: 'button danger small', 'data-testid': 'worker-remove',
                    text: 'Remove', 'aria-label': `Remove ${worker.name}`, onClick: () => remove(worker) }))) : null);
    }

    async function createWorker() {
        const name = field({ label: 'Name', name: 'name', testid: 'worker-form-name', required: true,
            hint: 'Letters, digits, ".", "_" or "-", e.g. gpu-node-1',
            attrs: { autocomplete: 'off', spellcheck: 'false', maxlength: 64 } });
        const labels = field({ label: 'Labels', name: 'labels', testid: 'worker-form-labels',
            hint: 'Comma separated, e.g. gpu, region=eu', attrs: { autocomplete: 'off' } });
        const alert = h('p', { class: 'alert', role: 'alert', hidden: true });
        const created = await openDialog({
            title: 'Create a worker',
            testid: 'create-worker-dialog',
            content: close => h('form', { id: 'create-worker-form', class: 'dialog-form', novalidate: true,
                onSubmit: async event => {
                    event.preventDefault();
                    setFieldError(name, null);
                    setFieldError(labels, null);
                    alert.hidden = true;
                    try {
                        close(await post('/api/v1/workers', { name: name.input.value.trim(),
                            labels: labels.input.value.split(',').map(s => s.trim()).filter(Boolean) }));
                    } catch (error) {
                        const errors = error instanceof ApiError ? error.fieldErrors : [];
                        for (const e of errors) {
                            setFieldError(String(e.field).startsWith('labels') ? labels : name, e.message);
                        }
                        if (errors.length === 0) {
                            alert.textContent = errorMessage(error);
                            alert.hidden = false;
                        }
                    }
                } }, alert, name.wrapper, labels.wrapper,
            h('div', { class: 'dialog-actions' },
                h('button', { type: 'button', class: 'button secondary', text: 'Cancel', onClick: () => close() }),
                h('button', { type: 'submit', class: 'button primary', 'data-testid': 'worker-form-submit',
                    text: 'Create' }))),
            onOpen: () => name.input.focus()
        });
        if (created) {
            await load();
            await showToken(created, 'Worker created', createButton);
        }
    }

    async function rotate(worker) {
        if (!await confirmAction(`Rotate the token of ${worker.name}?`, 'The old token stops working at once; '
            + 'the agent must be restarted with the new one.', 'Rotate token')) {
            return;
        }
        try {
            await showToken(await post(`/api/v1/workers/${worker.id}/token`), 'New worker token');
        } catch (error) {
            toast(errorMessage(error), 'error');
        }
    }

    async function drain(worker) {
        try {
            await post(`/api/v1/workers/${worker.id}/drain`);
            toast(`${worker.name} is draining: it finishes its tasks and takes no new ones.`);
            await load();
        } catch (error) {
            const text = error instanceof ApiError && (error.status === 404 || error.status === 405)
                ? `Draining is not available on this platform yet (${error.status}): ${errorMessage(error)}`
                : errorMessage(error);
            toast(text, 'error');
        }
    }

    async function remove(worker) {
        if (!await confirmAction(`Remove ${worker.name}?`, 'Its token stops working and it disappears from the '
            + 'fleet. Tasks it runs go back to the queue when its lease ends.', 'Remove worker')) {
            return;
        }
        try {
            await del(`/api/v1/workers/${worker.id}`);
            toast(`${worker.name} removed`);
            await load();
        } catch (error) {
            toast(errorMessage(error), 'error');
        }
    }

    await load();

    const tick = setInterval(() => {
        for (const node of root.querySelectorAll('time.ago')) {
            node.textContent = formatAgo(node.getAttribute('datetime') || null);
        }
    }, 1_000);
    let pending = null;
    if (admin) {
        ctx.onCleanup(subscribe('/topic/workers', () => {
            clearTimeout(pending);
            pending = setTimeout(() => load(), 500);
        }));
    }
    // Only admins hear about worker changes live; everyone else, and admins while live updates are off, poll.
    const poll = setInterval(() => {
        if ((!admin || !isLive()) && document.visibilityState === 'visible') {
            load();
        }
    }, POLL_MS);
    ctx.onCleanup(() => { clearInterval(tick); clearInterval(poll); clearTimeout(pending); });
}

/** The token, shown this once, and the command line that starts an agent with it. */
function showToken(credentials, title, returnFocus) {
    const command = `./taskmesh agent --server ${location.origin} --worker-id ${credentials.id} `
        + `--token ${credentials.token}`;
    const commandNode = h('pre', { class: 'command', 'data-testid': 'worker-command', tabindex: '0',
        'aria-label': 'Command line', text: command });
    const tokenNode = h('code', { class: 'mono break', 'data-testid': 'worker-token', text: credentials.token });
    return openDialog({
        title,
        testid: 'worker-token-dialog',
        content: h('div', {},
            h('p', { class: 'note note-warning', text: 'Copy the token now: it is shown only this once and '
                + 'cannot be read again (rotate it to get a new one).' }),
            h('dl', { class: 'summary' },
                h('dt', { text: 'Worker' }), h('dd', { text: credentials.name }),
                h('dt', { text: 'Worker id' }), h('dd', {}, h('code', { class: 'mono', 'data-testid': 'worker-id',
                    text: credentials.id })),
                h('dt', { text: 'Token' }), h('dd', {}, tokenNode)),
            h('p', { text: 'Start the agent on the node:' }),
            commandNode,
            h('div', { class: 'row-actions' },
                h('button', { type: 'button', class: 'button primary', 'data-testid': 'copy-command',
                    text: 'Copy command', onClick: () => copyText(command, commandNode) }),
                h('button', { type: 'button', class: 'button secondary', 'data-testid': 'copy-token',
                    text: 'Copy token', onClick: () => copyText(credentials.token, tokenNode) }))),
        actions: [{ label: 'Done', kind: 'secondary', testid: 'token-dialog-done' }],
        returnFocus,
        onOpen: dialog => dialog.querySelector('[data-testid="copy-command"]').focus()
    });
}

/** "2 × NVIDIA A100 (80.0 GiB)" per model, or "none". */
function gpuSummary(caps) {
    if (!caps) {
        return '—';
    }
    if (!caps.gpus?.length) {
        return 'none';
    }
    const byModel = new Map();
    for (const gpu of caps.gpus) {
        const key = `${gpu.model}|${gpu.memoryMb}`;
        byModel.set(key, { gpu, count: (byModel.get(key)?.count ?? 0) + 1 });
    }
    return [...byModel.values()].map(({ gpu, count }) => `${count} × ${gpu.model} (${formatMemoryMb(gpu.memoryMb)})`)
        .join(', ');
}
