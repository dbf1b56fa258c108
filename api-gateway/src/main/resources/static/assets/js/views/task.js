// One task: status, timeline and attempts, progress with steps, the live log, output JSON, files, and actions.
import { ApiError, download, get, post } from '../api.js';
import { isLive, onLiveStatus, subscribe } from '../live.js';
import {
    UUID_PATTERN, announce, cell, confirmAction, durationBetween, errorMessage, formatBytes, formatDuration,
    formatTime, h, isFinal, note, replace, shortId, statusBadge, table, toast
} from '../ui.js';

const POLL_MS = 5_000;
/** Lines kept in the log panel; older ones are dropped from the page (the full log stays downloadable). */
const MAX_LOG_LINES = 10_000;

export async function render(root, ctx) {
    const id = ctx.params.id;
    if (!UUID_PATTERN.test(id)) {
        replace(root, h('h1', { text: 'Task' }),
            h('p', { class: 'alert', role: 'alert', text: `"${id}" is not a task id.` }),
            h('a', { href: '#/tasks', text: 'Back to tasks' }));
        return;
    }
    let task;
    try {
        task = await get(`/api/v1/tasks/${id}`);
    } catch (error) {
        if (!ctx.isCurrent()) {
            return;
        }
        const text = error instanceof ApiError && error.status === 404 ? `There is no task ${id}.`
            : errorMessage(error);
        replace(root, h('h1', { text: 'Task' }), h('p', { class: 'alert', role: 'alert', 'data-testid': 'task-error',
            text }), h('a', { href: '#/tasks', text: 'Back to tasks' }));
        return;
    }
    if (!ctx.isCurrent()) {
        return;
    }

    const workerNames = new Map();
    get('/api/v1/workers').then(workers => {
        workers.forEach(w => workerNames.set(w.id, w.name));
        if (ctx.isCurrent()) {
            update();
        }
    }).catch(() => { /* ids are shown instead */ });

    // ---- layout: each part re-renders on its own, so the log panel is never rebuilt ----
    // Status changes are announced through the page's live region (see changed()), not re-read on every update.
    const statusSlot = h('span', { class: 'status-slot' });
    const actions = h('div', { class: 'actions' });
    const errorSlot = h('div');
    const summary = h('dl', { class: 'summary', 'data-testid': 'task-summary' });
    const progressSlot = h('div', { 'data-testid': 'task-progress' });
    const timelineSlot = h('div', { 'data-testid': 'task-timeline' });
    const childrenSlot = h('div');
    const resultSlot = h('div', { 'data-testid': 'task-result' });
    const logNote = h('p', { class: 'muted log-note', 'data-testid': 'log-note' });
    const logPanel = h('pre', { class: 'log', 'data-testid': 'log-panel', role: 'log', 'aria-live': 'off',
        'aria-label': 'Task log', tabindex: '0' });
    let autoScroll = true;
    const scrollToggle = h('button', { type: 'button', class: 'button secondary', 'aria-pressed': 'false',
        'data-testid': 'log-autoscroll', text: 'Pause auto-scroll',
        onClick: () => {
            autoScroll = !autoScroll;
            scrollToggle.setAttribute('aria-pressed', String(!autoScroll));
            scrollToggle.textContent = autoScroll ? 'Pause auto-scroll' : 'Resume auto-scroll';
            if (autoScroll) {
                logPanel.scrollTop = logPanel.scrollHeight;
            }
        } });

    replace(root,
        h('div', { class: 'view-header' },
            h('div', { class: 'title-block' },
                h('h1', { id: 'view-title' }, 'Task ', h('span', { class: 'mono', text: shortId(id) })),
                statusSlot),
            actions),
        errorSlot,
        summary,
        section('Progress', progressSlot),
        section('Timeline', timelineSlot),
        childrenSlot,
        section('Log', h('div', { class: 'log-toolbar' }, logNote, scrollToggle), logPanel),
        section('Result', resultSlot));

    function update() {
        if (statusSlot.firstChild?.dataset.status !== task.status) {
            replace(statusSlot, statusBadge(task.status));
        }
        renderActions();
        replace(errorSlot, task.error
            ? h('p', { class: 'alert', role: 'alert', 'data-testid': 'task-error-message', text: task.error })
            : null);
        renderSummary();
        renderProgress();
        renderTimeline();
        renderChildren();
    }

    function renderActions() {
        replace(actions,
            isFinal(task.status) ? null : h('button', { type: 'button', class: 'button danger',
                'data-testid': 'task-cancel', text: 'Cancel task', onClick: cancel }),
            h('button', { type: 'button', class: 'button secondary', 'data-testid': 'task-resubmit',
                text: 'Re-submit', onClick: resubmit }));
    }

    function renderSummary() {
        const r = task.requirements ?? {};
        const requirementText = [
            `${r.cpus ?? 0} CPU`, `${r.memoryMb ?? 0} MiB memory`, `${r.gpus ?? 0} GPU`,
            r.gpuMemoryMb ? `${r.gpuMemoryMb} MiB GPU memory` : null,
            r.labels?.length ? `labels ${r.labels.join(', ')}` : null
        ].filter(Boolean).join(' · ');
        const entries = [
            ['Id', h('span', { class: 'mono', 'data-testid': 'task-id', text: task.id })],
            ['Type', h('span', { 'data-testid': 'task-type', text: task.type })],
            ['Owner', task.ownerName ?? task.owner],
            ['Priority', task.priority ?? 0],
            ['Attempt', h('span', { 'data-testid': 'task-attempt',
                text: `${task.attempt ?? 0} of at most ${task.maxAttempts ?? '—'}` })],
            ['Timeout', task.timeoutSeconds ? formatDuration(task.timeoutSeconds * 1000) : 'none'],
            ['Requirements', requirementText],
            ['Worker', workerLabel(task.workerId)],
            task.targetWorkers?.length ? ['Target workers', task.targetWorkers.map(workerLabel).join(', ')] : null,
            task.idempotencyKey ? ['Idempotency key', task.idempotencyKey] : null
        ].filter(Boolean);
        replace(summary, entries.flatMap(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]));
    }

    function renderProgress() {
        const progress = task.progress ?? {};
        // A task that succeeded is done, whatever it last reported; a failed one keeps where it stopped.
        const succeeded = task.status === 'SUCCEEDED';
        const percent = succeeded ? 100 : progress.percent ?? 0;
        const steps = progress.steps ?? [];
        replace(progressSlot,
            h('div', { class: 'progress-row' },
                h('progress', { max: 100, value: percent, 'aria-labelledby': 'progress-label',
                    'data-testid': 'task-progress-bar' }),
                h('span', { id: 'progress-label', 'data-testid': 'task-progress-text',
                    text: `${percent}%${progress.stage && !succeeded ? ` · ${progress.stage}` : ''}` })),
            progress.message ? h('p', { class: 'muted', text: progress.message }) : null,
            steps.length === 0 ? null : table({ caption: 'Steps', testid: 'task-steps',
                columns: ['Step', 'Started', 'Duration'],
                rows: steps.map(step => h('tr', { 'data-testid': 'task-step' },
                    cell('Step', step.name),
                    cell('Started', formatTime(step.startedAt)),
                    cell('Duration', step.finishedAt || step.durationMs != null
                        ? formatDuration(step.durationMs ?? durationBetween(step.startedAt, step.finishedAt))
                        // no duration while it runs: one computed now would stand still on the page
                        : isFinal(task.status) ? '—' : 'running'))) }));
    }

    function renderTimeline() {
        const events = [
            ['Created', task.createdAt],
            ['Assigned', task.assignedAt],
            ['Started', task.startedAt],
            [isFinal(task.status) ? `Finished (${task.status.toLowerCase()})` : 'Finished', task.finishedAt]
        ];
        const attempts = task.attempts ?? [];
        replace(timelineSlot,
            h('ol', { class: 'timeline' }, events.map(([label, at]) => h('li', { class: at ? 'done' : 'pending' },
                h('span', { class: 'timeline-label', text: label }),
                at ? h('time', { datetime: at, text: formatTime(at) }) : h('span', { class: 'muted', text: '—' })))),
            task.startedAt && task.finishedAt ? h('p', { class: 'muted', text: `Ran for ${formatDuration(
                durationBetween(task.startedAt, task.finishedAt))}` }) : null,
            attempts.length === 0 ? h('p', { class: 'muted', text: 'No attempt yet: the task waits for a worker '
                + 'that meets its requirements.' })
                : table({ caption: 'Attempts', testid: 'task-attempts', hiddenCaption: false,
                    columns: ['Attempt', 'Worker', 'Outcome', 'Assigned', 'Started', 'Finished', 'Duration',
                        'Error'],
                    rows: attempts.map(a => h('tr', { 'data-testid': 'attempt-row' },
                        cell('Attempt', a.attempt),
                        cell('Worker', workerLabel(a.workerId)),
                        cell('Outcome', statusBadge(a.status, 'attempt-status')),
                        cell('Assigned', formatTime(a.assignedAt)),
                        cell('Started', formatTime(a.startedAt)),
                        cell('Finished', formatTime(a.finishedAt)),
                        cell('Duration', a.status === 'RUNNING' ? 'running'
                            : formatDuration(durationBetween(a.startedAt, a.finishedAt))),
                        cell('Error', a.error ?? '—'))) }));
    }

    function renderChildren() {
        const children = task.children ?? [];
        replace(childrenSlot, children.length === 0 ? null : section('Children',
            h('ul', { class: 'children', 'data-testid': 'task-children' }, children.map(child => {
                const childId = typeof child === 'string' ? child : child.id;
                return h('li', {}, h('a', { href: `#/tasks/${childId}`, class: 'mono', text: shortId(childId),
                    title: childId }), typeof child === 'object' && child.status ? statusBadge(child.status,
                    'child-status') : null, typeof child === 'object' && child.type ? ` ${child.type}` : null);
            }))));
    }

    function workerLabel(workerId) {
        if (!workerId) {
            return '—';
        }
        return workerNames.get(workerId) ?? shortId(workerId);
    }

    // ---- actions ----

    async function cancel() {
        if (!await confirmAction('Cancel this task?', `Task ${shortId(id)} stops; a running attempt is told to `
            + 'stop on its worker.', 'Cancel task')) {
            return;
        }
        try {
            task = await post(`/api/v1/tasks/${id}/cancel`);
            changed();
        } catch (error) {
            toast(errorMessage(error), 'error');
        }
    }

    async function resubmit() {
        // Not the idempotency key: with it, the API would answer the old task instead of making a new one.
        const body = { type: task.type, input: task.input, requirements: task.requirements, priority: task.priority,
            timeoutSeconds: task.timeoutSeconds, maxAttempts: task.maxAttempts, targetWorkers: task.targetWorkers };
        try {
            const created = await post('/api/v1/tasks', body);
            toast(`Submitted task ${shortId(created.id)}`);
            location.hash = `#/tasks/${created.id}`;
        } catch (error) {
            toast(errorMessage(error), 'error');
        }
    }

    // ---- log: snapshot from the result, live lines from STOMP, de-duplicated by (attempt, seq) ----

    const seenLines = new Set();
    let lastAttemptShown = null;
    let snapshotShown = false;

    function appendLog(log) {
        if (snapshotShown || log?.taskId !== id || !Array.isArray(log.lines)) {
            return;
        }
        const stickToBottom = autoScroll;
        const fragment = document.createDocumentFragment();
        for (const line of log.lines) {
            const key = `${log.attempt}:${line.seq}`;
            if (seenLines.has(key)) {
                continue;
            }
            seenLines.add(key);
            if (lastAttemptShown !== log.attempt) {
                lastAttemptShown = log.attempt;
                fragment.appendChild(h('span', { class: 'log-attempt',
                    text: `── attempt ${log.attempt} ──\n` }));
            }
            fragment.appendChild(h('span', { class: `log-line log-${String(line.stream).toLowerCase()}`,
                'data-seq': line.seq, text: `${line.text}\n` }));
        }
        logPanel.appendChild(fragment);
        while (logPanel.childNodes.length > MAX_LOG_LINES) {
            logPanel.removeChild(logPanel.firstChild);
        }
        if (stickToBottom) {
            logPanel.scrollTop = logPanel.scrollHeight;
        }
        logNote.textContent = 'Live log';
    }

    function showSnapshot(result) {
        if (typeof result.log !== 'string') {
            return;
        }
        // The stored log is complete (up to its last MiB), so it replaces whatever arrived live.
        snapshotShown = true;
        logPanel.textContent = result.log;
        logNote.textContent = result.logTruncated ? 'Only the last MiB of the log is kept.' : 'Complete log';
        if (autoScroll) {
            logPanel.scrollTop = logPanel.scrollHeight;
        }
    }

    // ---- result: output JSON and files ----

    async function loadResult() {
        let result;
        try {
            result = await get(`/api/v1/tasks/${id}/result`);
        } catch (error) {
            if (!ctx.isCurrent()) {
                return;
            }
            if (!snapshotShown && logPanel.childNodes.length === 0) {
                logNote.textContent = 'No log was recorded.';
            }
            if (error instanceof ApiError && error.status === 404) {
                replace(resultSlot, h('p', { class: 'muted', 'data-testid': 'result-pending',
                    text: isFinal(task.status) ? 'This task left no result.'
                        : 'The result appears when the task ends.' }));
            } else {
                replace(resultSlot, h('p', { class: 'alert', role: 'alert', text: errorMessage(error) }));
            }
            return;
        }
        if (!ctx.isCurrent()) {
            return;
        }
        showSnapshot(result);
        const files = result.files ?? [];
        replace(resultSlot,
            h('h3', { text: 'Output' }),
            result.output == null ? h('p', { class: 'muted', text: 'No output JSON (result.json).' })
                : h('pre', { class: 'json', 'data-testid': 'task-output', tabindex: '0', 'aria-label': 'Output JSON',
                    text: JSON.stringify(result.output, null, 2) }),
            h('h3', { text: 'Files' }),
            files.length === 0 ? h('p', { class: 'muted', text: 'No output files.' }) : [
                h('ul', { class: 'files', 'data-testid': 'task-files' }, files.map(file => h('li', {},
                    h('a', { href: file.url, download: file.name, 'data-testid': 'file-link',
                        'data-file-name': file.name, text: file.name,
                        onClick: event => {
                            event.preventDefault();
                            download(file.url, file.name).catch(error => toast(errorMessage(error), 'error'));
                        } }),
                    h('span', { class: 'muted', text: ` ${formatBytes(file.size)}` }),
                    h('code', { class: 'sha', title: 'SHA-256', text: `sha256 ${file.sha256 ?? '—'}` })))),
                h('button', { type: 'button', class: 'button secondary', 'data-testid': 'download-archive',
                    text: 'Download all (zip)',
                    onClick: () => download(`/api/v1/tasks/${id}/result/archive`, `task-${id}.zip`)
                        .catch(error => toast(errorMessage(error), 'error')) })
            ]);
    }

    // ---- keeping up: live events, or polling while they are unavailable ----

    let lastStatus = task.status;
    let refetch = null;
    let liveChanges = 0;
    const reload = async () => {
        const changesBefore = liveChanges;
        try {
            const fresh = await get(`/api/v1/tasks/${id}`);
            if (!ctx.isCurrent()) {
                return;
            }
            // A live change that arrived while this loaded is newer than the answer: its fields stay, or a slow
            // answer would take the page back (e.g. to the progress before it) until the next change.
            task = changesBefore === liveChanges ? fresh
                : { ...fresh, status: task.status, attempt: task.attempt, progress: task.progress };
            changed();
        } catch {
            // keep showing what we have; the next event or poll tries again
        }
    };
    function changed() {
        update();
        if (task.status !== lastStatus) {
            announce(`Task is now ${task.status.toLowerCase()}`);
            lastStatus = task.status;
            if (isFinal(task.status)) {
                loadResult();
            }
        }
    }

    update();
    const describeLog = () => {
        if (isFinal(task.status) || logPanel.childNodes.length > 0) {
            return;
        }
        logNote.textContent = isLive()
            ? 'Live lines appear here while the task runs; the complete log when it ends.'
            : 'Live log unavailable: the complete log appears here when the task ends.';
    };
    describeLog();
    ctx.onCleanup(onLiveStatus(describeLog));
    if (isFinal(task.status)) {
        logNote.textContent = 'Loading the log…';
        await loadResult();
    } else {
        // A result is recorded once, when the task ends; until then the log comes live.
        replace(resultSlot, h('p', { class: 'muted', 'data-testid': 'result-pending',
            text: 'The result appears when the task ends.' }));
    }

    ctx.onCleanup(subscribe(`/topic/tasks/${id}`, change => {
        if (change.id && change.id !== id) {
            return;
        }
        const statusChanged = change.status && change.status !== task.status;
        liveChanges++;
        task = { ...task, status: change.status ?? task.status, attempt: change.attempt ?? task.attempt,
            progress: change.progress ?? task.progress };
        changed();
        if (statusChanged) {
            // Timestamps and attempts come with the full task.
            clearTimeout(refetch);
            refetch = setTimeout(reload, 300);
        }
    }));
    ctx.onCleanup(subscribe(`/topic/tasks/${id}/log`, appendLog));
    if (!isFinal(task.status)) {
        // a change between the first read and the subscription reached no one: read once more now that it would
        // (an agent starts a task within milliseconds of its submission, before this page has subscribed)
        reload();
    }
    const poll = setInterval(() => {
        if (!isLive() && !isFinal(task.status) && document.visibilityState === 'visible') {
            reload();
        }
    }, POLL_MS);
    ctx.onCleanup(() => { clearInterval(poll); clearTimeout(refetch); });
}

function section(title, ...content) {
    const headingId = `s-${title.toLowerCase().replace(/\W+/g, '-')}`;
    return h('section', { class: 'panel', 'aria-labelledby': headingId },
        h('h2', { id: headingId, text: title }), ...content);
}
