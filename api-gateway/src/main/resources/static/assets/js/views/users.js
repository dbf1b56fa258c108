// Users (admins only): list, create, change roles, enable and disable.
import { ApiError, get, patch, post } from '../api.js';
import { currentUser } from '../session.js';
import {
    cell, confirmAction, errorMessage, field, formatTime, h, openDialog, replace, setFieldError, table, toast,
    viewHeader
} from '../ui.js';

const ROLES = ['USER', 'ADMIN'];

export async function render(root, ctx) {
    const results = h('div', { class: 'results', 'aria-busy': 'true' });
    const username = field({ label: 'Username', name: 'username', testid: 'user-form-username', required: true,
        hint: '3 to 64 letters, digits, ".", "_" or "-"', attrs: { autocomplete: 'off', spellcheck: 'false' } });
    const password = field({ label: 'Password', name: 'password', type: 'password', testid: 'user-form-password',
        required: true, hint: 'At least 8 characters', attrs: { autocomplete: 'new-password' } });
    const roles = roleChoices('new-user', ['USER']);
    const alert = h('p', { class: 'alert', role: 'alert', 'data-testid': 'user-form-error', hidden: true });
    const createForm = h('form', { class: 'panel create-user', 'data-testid': 'user-form', novalidate: true,
        'aria-labelledby': 'create-user-title',
        onSubmit: async event => {
            event.preventDefault();
            [username, password].forEach(f => setFieldError(f, null));
            alert.hidden = true;
            try {
                const user = await post('/api/v1/users', { username: username.input.value.trim(),
                    password: password.input.value, roles: roles.selected() });
                toast(`User ${user.username} created`);
                username.input.value = '';
                password.input.value = '';
                await load();
            } catch (error) {
                const byField = { username, password };
                const errors = error instanceof ApiError ? error.fieldErrors : [];
                const unplaced = errors.filter(e => !byField[e.field]);
                errors.filter(e => byField[e.field]).forEach(e => setFieldError(byField[e.field], e.message));
                if (unplaced.length || errors.length === 0) {
                    alert.textContent = errors.length === 0 ? errorMessage(error)
                        : unplaced.map(e => `${e.field} ${e.message}`).join('; ');
                    alert.hidden = false;
                }
            }
        } },
        h('h2', { id: 'create-user-title', text: 'Create a user' }), alert,
        h('div', { class: 'grid-fields' }, username.wrapper, password.wrapper, roles.fieldset),
        h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary',
            'data-testid': 'user-form-submit', text: 'Create user' })));

    replace(root, viewHeader('Users'), results, createForm);

    async function load() {
        let users;
        try {
            users = await get('/api/v1/users');
        } catch (error) {
            if (ctx.isCurrent()) {
                replace(results, h('p', { class: 'alert', role: 'alert', text: errorMessage(error) }));
            }
            return;
        }
        if (!ctx.isCurrent()) {
            return;
        }
        replace(results, table({ caption: 'Users', testid: 'users-table',
            columns: ['Username', 'Roles', 'Status', 'Created', 'Actions'], rows: users.map(userRow) }));
        results.setAttribute('aria-busy', 'false');
    }

    function userRow(user) {
        const self = user.id === currentUser()?.id;
        return h('tr', { 'data-testid': 'user-row', 'data-user-id': user.id, 'data-enabled': String(user.enabled) },
            cell('Username', h('span', { 'data-testid': 'user-name', text: user.username }),
                self ? h('span', { class: 'muted small', text: ' (you)' }) : null),
            cell('Roles', h('span', { 'data-testid': 'user-roles', text: user.roles.join(', ') })),
            cell('Status', h('span', { class: user.enabled ? 'badge badge-succeeded' : 'badge badge-cancelled',
                'data-testid': 'user-enabled', text: user.enabled ? 'Enabled' : 'Disabled' })),
            cell('Created', formatTime(user.createdAt)),
            cell('Actions', h('div', { class: 'row-actions' },
                h('button', { type: 'button', class: 'button secondary small', 'data-testid': 'user-change-roles',
                    text: 'Change roles', 'aria-label': `Change the roles of ${user.username}`,
                    onClick: () => changeRoles(user) }),
                h('button', { type: 'button', class: `button small ${user.enabled ? 'danger' : 'secondary'}`,
                    'data-testid': 'user-toggle-enabled', text: user.enabled ? 'Disable' : 'Enable',
                    'aria-label': `${user.enabled ? 'Disable' : 'Enable'} ${user.username}`,
                    onClick: () => toggle(user) }))));
    }

    async function changeRoles(user) {
        const choices = roleChoices(`roles-${user.id}`, user.roles);
        const alertBox = h('p', { class: 'alert', role: 'alert', hidden: true });
        const updated = await openDialog({
            title: `Roles of ${user.username}`,
            testid: 'roles-dialog',
            content: close => h('form', { class: 'dialog-form', onSubmit: async event => {
                event.preventDefault();
                if (choices.selected().length === 0) {
                    alertBox.textContent = 'Choose at least one role.';
                    alertBox.hidden = false;
                    return;
                }
                try {
                    close(await patch(`/api/v1/users/${user.id}`, { roles: choices.selected() }));
                } catch (error) {
                    alertBox.textContent = errorMessage(error);
                    alertBox.hidden = false;
                }
            } }, alertBox, choices.fieldset,
            h('div', { class: 'dialog-actions' },
                h('button', { type: 'button', class: 'button secondary', text: 'Cancel', onClick: () => close() }),
                h('button', { type: 'submit', class: 'button primary', 'data-testid': 'roles-save',
                    text: 'Save roles' }))),
            onOpen: dialog => dialog.querySelector('input')?.focus()
        });
        if (updated) {
            toast(`Roles of ${user.username}: ${updated.roles.join(', ')}`);
            await load();
        }
    }

    async function toggle(user) {
        if (user.enabled && !await confirmAction(`Disable ${user.username}?`,
            'They can no longer log in, and their sessions end when their access token expires.', 'Disable')) {
            return;
        }
        try {
            await patch(`/api/v1/users/${user.id}`, { enabled: !user.enabled });
            toast(`${user.username} ${user.enabled ? 'disabled' : 'enabled'}`);
            await load();
        } catch (error) {
            toast(errorMessage(error), 'error');
        }
    }

    await load();
}

/** A fieldset of role checkboxes; `selected()` answers the checked roles. */
function roleChoices(idPrefix, checked) {
    const boxes = ROLES.map(role => {
        const id = `${idPrefix}-${role}`;
        const input = h('input', { type: 'checkbox', id, name: 'roles', value: role,
            'data-testid': `role-${role.toLowerCase()}`, checked: checked.includes(role) });
        return { role, input, wrapper: h('div', { class: 'check' }, input, h('label', { for: id,
            text: role.charAt(0) + role.slice(1).toLowerCase() })) };
    });
    return {
        fieldset: h('fieldset', { class: 'roles' }, h('legend', { text: 'Roles' }), boxes.map(b => b.wrapper)),
        selected: () => boxes.filter(b => b.input.checked).map(b => b.role)
    };
}
