// The dashboard's shell: session restore, login screen, navigation and a small hash router.
import { onSessionLost } from './api.js';
import { liveStatus, onLiveStatus, startLive, stopLive } from './live.js';
import { currentUser, isAdmin, login, logout, onSessionChange, refresh } from './session.js';
import { announce, errorMessage, field, h, replace } from './ui.js';
import * as overview from './views/overview.js';
import * as submit from './views/submit.js';
import * as task from './views/task.js';
import * as tasks from './views/tasks.js';
import * as users from './views/users.js';
import * as workers from './views/workers.js';

const ROUTES = [
    { pattern: /^\/overview$/, view: overview, title: 'Overview' },
    { pattern: /^\/tasks$/, view: tasks, title: 'Tasks' },
    { pattern: /^\/tasks\/([^/]+)$/, view: task, title: 'Task', params: ['id'] },
    { pattern: /^\/submit$/, view: submit, title: 'Submit a task' },
    { pattern: /^\/workers$/, view: workers, title: 'Workers' },
    { pattern: /^\/users$/, view: users, title: 'Users', admin: true }
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const sessionBar = document.getElementById('session-bar');
const liveIndicator = document.getElementById('live-status');

let shown = null;              // 'app' or 'login'
let cleanups = [];
let renderCount = 0;

function boot() {
    document.getElementById('logout').addEventListener('click', async () => {
        await logout().catch(() => {});
        showLogin('You are logged out.');
    });
    onSessionChange(user => {
        if (user) {
            showApp();
        } else if (shown === 'app') {
            showLogin('Your session has ended; please log in again.');
        }
    });
    onSessionLost(() => showLogin('Your session has ended; please log in again.'));
    onLiveStatus(renderLiveStatus);
    window.addEventListener('hashchange', () => {
        if (shown === 'app') {
            route(true);
        }
    });
    refresh()
        .then(hasSession => { if (!hasSession) showLogin(); })
        .catch(error => showLogin(errorMessage(error)));
}

function showApp() {
    const user = currentUser();
    document.getElementById('whoami').textContent = `${user.username} (${user.roles.join(', ').toLowerCase()})`;
    for (const item of document.querySelectorAll('[data-admin-only]')) {
        item.hidden = !isAdmin();
    }
    if (shown === 'app') {
        return;
    }
    shown = 'app';
    nav.hidden = false;
    sessionBar.hidden = false;
    startLive();
    route(false);
}

function showLogin(message) {
    runCleanups();
    stopLive();
    shown = 'login';
    nav.hidden = true;
    sessionBar.hidden = true;
    document.title = 'Log in · Taskmesh';
    const username = field({ label: 'Username', name: 'username', testid: 'login-username', required: true,
        attrs: { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' } });
    const password = field({ label: 'Password', name: 'password', type: 'password', testid: 'login-password',
        required: true, attrs: { autocomplete: 'current-password' } });
    const alert = h('p', { class: 'alert', role: 'alert', 'data-testid': 'login-error', hidden: !message },
        message ?? '');
    const button = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'login-submit',
        text: 'Log in' });
    const form = h('form', { class: 'login-form', 'data-testid': 'login-form', 'aria-labelledby': 'login-title',
        onSubmit: async event => {
            event.preventDefault();
            button.disabled = true;
            alert.hidden = true;
            try {
                await login(username.input.value.trim(), password.input.value);
                // onSessionChange shows the app
            } catch (error) {
                alert.textContent = errorMessage(error);
                alert.hidden = false;
                password.input.value = '';
                password.input.focus();
            } finally {
                button.disabled = false;
            }
        } },
        h('h1', { id: 'login-title', text: 'Log in to Taskmesh' }),
        alert, username.wrapper, password.wrapper, button);
    replace(main, h('section', { class: 'login' }, form));
    username.input.focus();
}

function route(moveFocus) {
    const hash = location.hash.replace(/^#/, '') || '/overview';
    const [path, queryText = ''] = hash.split('?');
    const match = ROUTES.map(r => ({ r, m: r.pattern.exec(path) })).find(x => x.m);
    if (!match) {
        location.replace('#/overview');
        return;
    }
    runCleanups();
    const { r, m } = match;
    for (const link of nav.querySelectorAll('a')) {
        const target = link.getAttribute('href').slice(1);
        if (path === target || path.startsWith(`${target}/`)) {
            link.setAttribute('aria-current', 'page');
        } else {
            link.removeAttribute('aria-current');
        }
    }
    document.title = `${r.title} · Taskmesh`;
    const container = h('div', { class: 'view', 'data-view': r.title.toLowerCase() });
    replace(main, container);
    if (r.admin && !isAdmin()) {
        replace(container, h('h1', { text: r.title }),
            h('p', { class: 'alert', role: 'alert', text: 'This page is for administrators.' }));
        return;
    }
    const params = {};
    (r.params ?? []).forEach((name, i) => { params[name] = decodeURIComponent(m[i + 1]); });
    const current = ++renderCount;
    const ctx = {
        params,
        query: new URLSearchParams(queryText),
        isCurrent: () => current === renderCount,
        onCleanup: fn => cleanups.push(fn),
        /** Changes the query of the current route without a new history entry per keystroke. */
        setQuery: query => {
            const text = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null))
                .toString();
            location.hash = `#${path}${text ? `?${text}` : ''}`;
        }
    };
    Promise.resolve(r.view.render(container, ctx)).catch(error => {
        if (ctx.isCurrent()) {
            container.appendChild(h('p', { class: 'alert', role: 'alert', text: errorMessage(error) }));
        }
    });
    if (moveFocus) {
        // A new page starts at its top: focusing <main> alone would scroll the navigation out of view.
        main.focus({ preventScroll: true });
        window.scrollTo(0, 0);
        announce(`${r.title} page`);
    }
}

function runCleanups() {
    renderCount++;
    for (const fn of cleanups.splice(0)) {
        try {
            fn();
        } catch (error) {
            console.error(error);
        }
    }
}

function renderLiveStatus(status) {
    const text = {
        off: '',
        connecting: 'Connecting live updates…',
        live: 'Live',
        unavailable: 'Live updates unavailable'
    }[status];
    liveIndicator.textContent = text;
    liveIndicator.dataset.status = status;
    liveIndicator.title = status === 'unavailable'
        ? 'The live event stream cannot be reached; pages load over REST and refresh every few seconds.' : '';
}

renderLiveStatus(liveStatus());
boot();
