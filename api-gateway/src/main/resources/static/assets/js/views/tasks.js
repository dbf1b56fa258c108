// Tasks: filters, search by id, paging, live status changes of the caller's tasks.
import { get } from '../api.js';
import { isLive, subscribe } from '../live.js';
import { isAdmin } from '../session.js';
import {
    TASK_STATUSES, UUID_PATTERN, cell, errorMessage, field, formatTime, h, note, replace, setFieldError, shortId,
    statusBadge, table, viewHeader
} from '../ui.js';

const PAGE_SIZES = [10, 20, 50, 100];
const POLL_MS = 10_000;

export async function render(root, ctx) {
    const q = ctx.query;
    const filters = {
        status: q.get('status') ?? '',
        type: q.get('type') ?? '',
        owner: q.get('owner') ?? '',
        after: q.get('after') ?? '',
        before: q.get('before') ?? '',
        size: Number(q.get('size')) || 20,
        page: Math.max(0, Number(q.get('page')) || 0)
    };

    // Search by id: goes straight to the task.
    const search = field({ label: 'Task id', name: 'id', testid: 'task-search',
        attrs: { placeholder: 'e.g. 3f0d8f2b-…', autocomplete: 'off', spellcheck: 'false' } });
    const searchForm = h('form', { class: 'inline-form', role: 'search', 'aria-label': 'Find a task by id',
        onSubmit: event => {
            event.preventDefault();
            const id = search.input.value.trim();
            if (!UUID_PATTERN.test(id)) {
                setFieldError(search, 'Enter a whole task id (a UUID).');
                search.input.focus();
                return;
            }
            location.hash = `#/tasks/${id}`;
        } },
        search.wrapper, h('button', { type: 'submit', class: 'button secondary', 'data-testid': 'task-search-go',
            text: 'Go to task' }));

    const status = field({ label: 'Status', name: 'status', type: 'select', value: filters.status,
        testid: 'filter-status', options: [['', 'Any'], ...TASK_STATUSES.map(s => [s, s.toLowerCase()])] });
    const type = field({ label: 'Type', name: 'type', value: filters.type, testid: 'filter-type',
        attrs: { placeholder: 'command', autocomplete: 'off' } });
    const after = field({ label: 'Created after', name: 'after', type: 'datetime-local', value: filters.after,
        testid: 'filter-created-after' });
    const before = field({ label: 'Created before', name: 'before', type: 'datetime-local',
        value: filters.before, testid: 'filter-created-before' });
    const size = field({ label: 'Per page', name: 'size', type: 'select', value: filters.size,
        testid: 'filter-size', options: PAGE_SIZES.map(n => [n, String(n)]) });
    const owner = isAdmin() ? await ownerField(filters.owner) : null;
    if (!ctx.isCurrent()) {
        return;
    }
    const filterForm = h('form', { class: 'filters', 'aria-label': 'Filter tasks', 'data-testid': 'task-filters',
        onSubmit: event => {
            event.preventDefault();
            ctx.setQuery({ status: status.input.value, type: type.input.value.trim(),
                owner: owner?.input.value.trim() ?? '', after: after.input.value, before: before.input.value,
                size: size.input.value, page: 0 });
        } },
        status.wrapper, type.wrapper, owner?.wrapper, after.wrapper, before.wrapper, size.wrapper,
        h('div', { class: 'filter-actions' },
            h('button', { type: 'submit', class: 'button primary', 'data-testid': 'filter-apply', text: 'Apply' }),
            h('a', { href: '#/tasks', class: 'button secondary', 'data-testid': 'filter-reset', text: 'Reset' })));

    const results = h('div', { class: 'results', 'aria-busy': 'true' });
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of tasks' });
    const refreshButton = h('button', { type: 'button', class: 'button secondary', text: 'Refresh',
        'data-testid': 'tasks-refresh', onClick: () => load() });
    replace(root, viewHeader('Tasks', refreshButton,
        h('a', { href: '#/submit', class: 'button primary', text: 'Submit a task' })),
        searchForm, filterForm, results, pager);

    const rows = new Map();

    async function load() {
        results.setAttribute('aria-busy', 'true');
        const afterIso = toIso(filters.after);
        const beforeIso = toIso(filters.before);
        let page;
        try {
            page = await get('/api/v1/tasks', {
                status: filters.status, type: filters.type, owner: filters.owner,
                createdAfter: afterIso, createdBefore: beforeIso, page: filters.page, size: filters.size
            });
        } catch (error) {
            if (ctx.isCurrent()) {
                replace(results, h('p', { class: 'alert', role: 'alert', text: errorMessage(error) }));
                results.setAttribute('aria-busy', 'false');
            }
            return;
        }
        if (!ctx.isCurrent()) {
            return;
        }
        // The created-after/before filters are applied by the API once it supports them; until then whatever
        // lies outside the range is dropped here, from this page only.
        const created = t => Date.parse(t.createdAt);
        const inRange = page.items.filter(t => (!afterIso || created(t) >= Date.parse(afterIso))
            && (!beforeIso || created(t) <= Date.parse(beforeIso)));
        const localOnly = inRange.length !== page.items.length;
        rows.clear();
        const body = inRange.map(taskRow);
        replace(results,
            localOnly ? note('The date filters were applied to this page only: the task-service does not '
                + 'filter by creation time yet.', 'date-filter-note', 'warning') : null,
            inRange.length === 0
                ? h('p', { class: 'empty', 'data-testid': 'tasks-empty', text: 'No tasks match.' })
                : table({ caption: 'Tasks', testid: 'tasks-table',
                    columns: ['Task', 'Type', 'Status', 'Progress', 'Owner', 'Created', 'Attempt'], rows: body }));
        results.setAttribute('aria-busy', 'false');
        renderPager(page);
    }

    function taskRow(task) {
        const badgeCell = cell('Status', statusBadge(task.status));
        const progressCell = cell('Progress', progressText(task));
        const row = h('tr', { 'data-testid': 'task-row', 'data-task-id': task.id, 'data-status': task.status },
            cell('Task', h('a', { href: `#/tasks/${task.id}`, class: 'mono', 'data-testid': 'task-link',
                'aria-label': `Task ${task.id}`, title: task.id, text: shortId(task.id) })),
            cell('Type', task.type),
            badgeCell, progressCell,
            cell('Owner', task.ownerName ?? task.owner),
            cell('Created', h('time', { datetime: task.createdAt, text: formatTime(task.createdAt) })),
            cell('Attempt', `${task.attempt ?? 0} / ${task.maxAttempts ?? '—'}`));
        rows.set(task.id, { row, badgeCell, progressCell, task });
        return row;
    }

    function renderPager(page) {
        const pages = Math.max(1, Math.ceil(page.total / page.size));
        const go = target => ctx.setQuery({ ...current(), page: target });
        replace(pager,
            h('button', { type: 'button', class: 'button secondary', 'data-testid': 'page-prev', text: 'Previous',
                disabled: page.page <= 0, onClick: () => go(page.page - 1) }),
            h('span', { class: 'page-info', 'data-testid': 'page-info', 'aria-live': 'polite',
                text: `Page ${page.page + 1} of ${pages} · ${page.total} task${page.total === 1 ? '' : 's'}` }),
            h('button', { type: 'button', class: 'button secondary', 'data-testid': 'page-next', text: 'Next',
                disabled: page.page + 1 >= pages, onClick: () => go(page.page + 1) }));
    }

    function current() {
        return { status: filters.status, type: filters.type, owner: filters.owner, after: filters.after,
            before: filters.before, size: filters.size, page: filters.page };
    }

    // Live: the caller's task changes update rows in place; a task not shown yet reloads the first page. Subscribed
    // before the first load, so that a change made while it loads is not missed.
    let pending = null;
    ctx.onCleanup(subscribe('/user/queue/tasks', change => {
        const shown = rows.get(change.id);
        if (shown) {
            const task = { ...shown.task, ...change };
            shown.task = task;
            shown.row.dataset.status = task.status;
            replace(shown.badgeCell, statusBadge(task.status));
            replace(shown.progressCell, progressText(task));
        } else if (filters.page === 0) {
            clearTimeout(pending);
            pending = setTimeout(() => load(), 1_000);
        }
    }));
    await load();
    const poll = setInterval(() => {
        if (!isLive() && document.visibilityState === 'visible') {
            load();
        }
    }, POLL_MS);
    ctx.onCleanup(() => { clearInterval(poll); clearTimeout(pending); });
}

/** Admins filter by owner: a list of users when it can be read, else the user id typed in. */
async function ownerField(value) {
    try {
        const users = await get('/api/v1/users');
        return field({ label: 'Owner', name: 'owner', type: 'select', value, testid: 'filter-owner',
            options: [['', 'Anyone'], ...users.map(u => [u.id, u.username])] });
    } catch {
        return field({ label: 'Owner (user id)', name: 'owner', value, testid: 'filter-owner',
            attrs: { autocomplete: 'off' } });
    }
}

function progressText(task) {
    const percent = task.status === 'SUCCEEDED' ? 100 : task.progress?.percent;
    if (percent == null) {
        return '—';
    }
    return h('span', { class: 'progress-inline' },
        h('progress', { max: 100, value: percent, 'aria-label': `${percent} percent` }),
        ` ${percent}%`);
}

function toIso(localValue) {
    if (!localValue) {
        return '';
    }
    const date = new Date(localValue);
    return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}
