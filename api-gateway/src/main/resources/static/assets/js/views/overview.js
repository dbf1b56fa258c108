// Overview: tasks by status, throughput and failures of the last hour, queue depth, and the fleet's capacity.
import { ApiError, get } from '../api.js';
import { isLive, subscribe } from '../live.js';
import { isAdmin } from '../session.js';
import {
    TASK_STATUSES, errorMessage, formatDuration, formatMemoryMb, h, note, replace, statusBadge, viewHeader
} from '../ui.js';

const CHART_JS = '/webjars/chart.js/4.4.7/dist/chart.umd.js';
const POLL_MS = 15_000;

export async function render(root, ctx) {
    const cards = h('div', { class: 'stat-grid', 'data-testid': 'overview-stats' });
    const statuses = h('section', { 'aria-labelledby': 'by-status' },
        h('h2', { id: 'by-status', text: 'Tasks by status' }));
    const statusGrid = h('div', { class: 'status-grid', 'data-testid': 'status-counts' });
    statuses.appendChild(statusGrid);
    const chartSection = h('section', { 'aria-labelledby': 'throughput' },
        h('h2', { id: 'throughput', text: 'Last hour' }));
    const refreshButton = h('button', { type: 'button', class: 'button secondary', text: 'Refresh',
        onClick: () => load() });
    replace(root, viewHeader('Overview', refreshButton), cards, statuses, chartSection);

    let chart = null;
    ctx.onCleanup(() => chart?.destroy());

    async function load() {
        const [stats, fleet] = await Promise.all([
            get('/api/v1/tasks/stats', { window: '1h' }).catch(error => ({ unavailable: error })),
            get('/api/v1/workers').catch(error => ({ error }))
        ]);
        const byStatus = stats.byStatus ?? await countsByStatus();
        if (!ctx.isCurrent()) {
            return;
        }
        renderCounts(byStatus);
        renderCards(stats, byStatus, fleet);
        chart = await renderChart(stats, chart);
    }

    function renderCounts(byStatus) {
        replace(statusGrid, TASK_STATUSES.map(status => h('a', {
            class: 'status-count', href: `#/tasks?status=${status}`, 'data-testid': `count-${status}`
        }, statusBadge(status, `count-badge-${status}`),
        h('span', { class: 'count', text: byStatus[status] ?? '—' }))));
    }

    function renderCards(stats, byStatus, fleet) {
        const queued = stats.queued ?? byStatus.QUEUED;
        const running = stats.running ?? sum(byStatus.RUNNING, byStatus.ASSIGNED);
        const items = [
            card('Queue depth', queued, 'queue-depth',
                stats.estimatedDrainSeconds != null
                    ? `drains in about ${formatDuration(stats.estimatedDrainSeconds * 1000)}` : 'tasks waiting'),
            card('Running', running, 'running-count', 'assigned or running')
        ];
        if (fleet.error) {
            items.push(card('Workers online', '—', 'workers-online', errorMessage(fleet.error)));
        } else {
            const online = fleet.filter(w => w.status === 'ONLINE');
            const capabilities = online.map(w => w.capabilities).filter(Boolean);
            items.push(
                card('Workers online', `${online.length} / ${fleet.length}`, 'workers-online', 'online / registered'),
                card('CPUs', capabilities.reduce((n, c) => n + (c.cpus ?? 0), 0), 'fleet-cpus', 'on online workers'),
                card('Memory', formatMemoryMb(capabilities.reduce((n, c) => n + (c.memoryMb ?? 0), 0)),
                    'fleet-memory', 'on online workers'),
                card('GPUs', capabilities.reduce((n, c) => n + (c.gpus?.length ?? 0), 0), 'fleet-gpus',
                    'on online workers'));
        }
        replace(cards, items);
    }

    async function renderChart(stats, existing) {
        existing?.destroy();
        chartSection.querySelectorAll('.chart-box, .note').forEach(node => node.remove());
        if (stats.unavailable || !Array.isArray(stats.buckets)) {
            const reason = stats.unavailable instanceof ApiError && stats.unavailable.status >= 500
                ? errorMessage(stats.unavailable)
                : 'The task-service offers no statistics yet (GET /api/v1/tasks/stats), so this chart is hidden.';
            chartSection.appendChild(note(`Throughput chart unavailable: ${reason}`, 'chart-unavailable'));
            return null;
        }
        const Chart = await loadChartJs().catch(() => null);
        if (!Chart || !ctx.isCurrent()) {
            chartSection.appendChild(note('The chart library could not be loaded.', 'chart-unavailable'));
            return null;
        }
        const totals = stats.buckets.reduce((t, b) => ({
            submitted: t.submitted + (b.submitted ?? 0), succeeded: t.succeeded + (b.succeeded ?? 0),
            failed: t.failed + (b.failed ?? 0)
        }), { submitted: 0, succeeded: 0, failed: 0 });
        const summary = `In the last hour: ${totals.submitted} submitted, ${totals.succeeded} succeeded, `
            + `${totals.failed} failed.`;
        const canvas = h('canvas', { role: 'img', 'aria-label': `Tasks per minute. ${summary}`,
            'data-testid': 'throughput-chart' });
        chartSection.appendChild(h('div', { class: 'chart-box' }, canvas, h('p', { class: 'muted', text: summary })));
        const dark = matchMedia('(prefers-color-scheme: dark)').matches;
        const text = dark ? '#d7dce4' : '#2b3240';
        const grid = dark ? '#3a4250' : '#dde1e7';
        return new Chart(canvas, {
            type: 'line',
            data: {
                labels: stats.buckets.map(b => new Date(b.at).toLocaleTimeString([], { hour: '2-digit',
                    minute: '2-digit' })),
                datasets: [
                    series('Submitted', stats.buckets.map(b => b.submitted ?? 0), '#2563eb'),
                    series('Succeeded', stats.buckets.map(b => b.succeeded ?? 0), '#15803d'),
                    series('Failed', stats.buckets.map(b => b.failed ?? 0), '#b91c1c')
                ]
            },
            options: {
                animation: false,
                maintainAspectRatio: false,
                interaction: { mode: 'index', intersect: false },
                scales: {
                    x: { ticks: { color: text, maxTicksLimit: 12 }, grid: { color: grid } },
                    y: { beginAtZero: true, ticks: { color: text, precision: 0 }, grid: { color: grid } }
                },
                plugins: { legend: { labels: { color: text } } }
            }
        });
    }

    await load();
    // Counts change with every task: listen to the caller's task changes, or poll while live updates are off.
    let pending = null;
    const soon = () => {
        clearTimeout(pending);
        pending = setTimeout(() => load().catch(() => {}), 1_000);
    };
    ctx.onCleanup(subscribe('/user/queue/tasks', soon));
    if (isAdmin()) {
        ctx.onCleanup(subscribe('/topic/workers', soon));
    }
    const poll = setInterval(() => {
        if (!isLive() && document.visibilityState === 'visible') {
            load().catch(() => {});
        }
    }, POLL_MS);
    ctx.onCleanup(() => { clearInterval(poll); clearTimeout(pending); });
}

/** Counts from the task list's totals, one small request per status. */
async function countsByStatus() {
    const entries = await Promise.all(TASK_STATUSES.map(status =>
        get('/api/v1/tasks', { status, size: 1 }).then(page => [status, page.total]).catch(() => [status, null])));
    return Object.fromEntries(entries);
}

function card(label, value, testid, detail) {
    return h('div', { class: 'stat-card', 'data-testid': testid },
        h('p', { class: 'stat-label', text: label }),
        h('p', { class: 'stat-value', text: value ?? '—' }),
        detail ? h('p', { class: 'stat-detail muted', text: detail }) : null);
}

function series(label, data, color) {
    return { label, data, borderColor: color, backgroundColor: color, tension: 0.25, pointRadius: 0,
        borderWidth: 2 };
}

function sum(...values) {
    return values.some(v => v == null) ? null : values.reduce((a, b) => a + b, 0);
}

let chartJs = null;
/** Chart.js's UMD build defines window.Chart; loaded on first use only. */
function loadChartJs() {
    if (!chartJs) {
        chartJs = new Promise((resolve, reject) => {
            if (window.Chart) {
                resolve(window.Chart);
                return;
            }
            const script = document.createElement('script');
            script.src = CHART_JS;
            script.onload = () => resolve(window.Chart);
            script.onerror = () => {
                chartJs = null;
                reject(new Error('Chart.js did not load'));
            };
            document.head.appendChild(script);
        });
    }
    return chartJs;
}
