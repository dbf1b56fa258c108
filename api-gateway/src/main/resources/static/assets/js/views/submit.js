// Submit a task: the form of POST /api/v1/tasks, with the API's field errors shown next to the fields.
import { ApiError, post } from '../api.js';
import { errorMessage, field, h, replace, setFieldError, toast, viewHeader } from '../ui.js';

const EXAMPLE_INPUT = {
    argv: ['bash', '-c', 'echo ::progress 50 Working; echo hello > $TASKMESH_OUTPUT_DIR/hello.txt']
};

export function render(root) {
    const f = {
        type: field({ label: 'Type', name: 'type', value: 'command', testid: 'submit-type', required: true,
            hint: '"command" runs a program; other types are handled by Java handlers on the workers.',
            attrs: { autocomplete: 'off', spellcheck: 'false', pattern: '[a-z0-9][a-z0-9._-]{0,63}' } }),
        input: field({ label: 'Input (JSON object)', name: 'input', type: 'textarea', testid: 'submit-input',
            value: JSON.stringify(EXAMPLE_INPUT, null, 2),
            hint: 'For "command": {"argv": [...], "env": {...}}.', attrs: { rows: 8, spellcheck: 'false' } }),
        cpus: numberField('CPUs', 'cpus', 'submit-cpus', 1),
        memoryMb: numberField('Memory (MiB)', 'memoryMb', 'submit-memory', 0),
        gpus: numberField('GPUs', 'gpus', 'submit-gpus', 0),
        gpuMemoryMb: numberField('GPU memory per GPU (MiB)', 'gpuMemoryMb', 'submit-gpu-memory', 0),
        labels: field({ label: 'Required labels', name: 'labels', testid: 'submit-labels',
            hint: 'Comma separated, e.g. gpu, region=eu', attrs: { autocomplete: 'off' } }),
        priority: numberField('Priority', 'priority', 'submit-priority', 0, { min: -1000, max: 1000 },
            'Higher runs first (-1000 to 1000).'),
        timeoutSeconds: numberField('Timeout (seconds)', 'timeoutSeconds', 'submit-timeout', '',
            { min: 1, max: 604800 }, 'Empty for none.'),
        maxAttempts: numberField('Max attempts', 'maxAttempts', 'submit-max-attempts', 3, { min: 1, max: 20 }),
        targetWorkers: field({ label: 'Target workers', name: 'targetWorkers', testid: 'submit-target-workers',
            hint: 'Comma separated worker ids; empty for any worker that fits.', attrs: { autocomplete: 'off' } }),
        idempotencyKey: field({ label: 'Idempotency key', name: 'idempotencyKey', testid: 'submit-idempotency-key',
            hint: 'Optional: submitting again with the same key returns the first task.',
            attrs: { autocomplete: 'off', maxlength: 200 } })
    };
    const formAlert = h('div', { class: 'alert', role: 'alert', 'data-testid': 'submit-error', tabindex: '-1',
        hidden: true });
    const button = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'submit-button',
        text: 'Submit task' });

    // The JSON is checked as it is typed, so a stray comma is found before the round trip.
    f.input.input.addEventListener('input', () => setFieldError(f.input, jsonError(f.input.input.value)));

    const form = h('form', { class: 'submit-form', 'data-testid': 'submit-form', novalidate: true,
        onSubmit: async event => {
            event.preventDefault();
            Object.values(f).forEach(x => setFieldError(x, null));
            formAlert.hidden = true;
            const inputError = jsonError(f.input.input.value)
                ?? commandError(f.type.input.value.trim(), f.input.input.value);
            if (inputError) {
                setFieldError(f.input, inputError);
                f.input.input.focus();
                return;
            }
            button.disabled = true;
            try {
                const task = await post('/api/v1/tasks', body(f));
                toast(`Task submitted (${task.status.toLowerCase()})`);
                location.hash = `#/tasks/${task.id}`;
            } catch (error) {
                showErrors(error);
            } finally {
                button.disabled = false;
            }
        } },
        formAlert,
        h('fieldset', {}, h('legend', { text: 'Task' }), f.type.wrapper, f.input.wrapper),
        h('fieldset', { class: 'grid-fields' }, h('legend', { text: 'Requirements' }),
            f.cpus.wrapper, f.memoryMb.wrapper, f.gpus.wrapper, f.gpuMemoryMb.wrapper, f.labels.wrapper),
        h('fieldset', { class: 'grid-fields' }, h('legend', { text: 'Scheduling' }),
            f.priority.wrapper, f.timeoutSeconds.wrapper, f.maxAttempts.wrapper, f.targetWorkers.wrapper,
            f.idempotencyKey.wrapper),
        h('div', { class: 'form-actions' }, button));

    replace(root, viewHeader('Submit a task'), form);

    function showErrors(error) {
        const unplaced = [];
        for (const { field: name, message } of error instanceof ApiError ? error.fieldErrors : []) {
            // "requirements.cpus" -> cpus, "targetWorkers[0]" -> targetWorkers, "input.argv" -> input
            const key = String(name).replace(/\[\d+]/g, '').replace(/^requirements\./, '')
                .replace(/^input\..*/, 'input');
            if (f[key]) {
                setFieldError(f[key], key === 'input' && name !== 'input' ? `${name} ${message}` : message);
            } else {
                unplaced.push(`${name} ${message}`);
            }
        }
        formAlert.textContent = unplaced.length ? `${errorMessage(error)} (${unplaced.join('; ')})`
            : errorMessage(error);
        formAlert.hidden = false;
        (form.querySelector('[aria-invalid="true"]') ?? formAlert).focus();
    }
}

function numberField(label, name, testid, value, limits = { min: 0 }, hint) {
    return field({ label, name, type: 'number', value, testid, hint,
        attrs: { inputmode: 'numeric', step: 1, ...limits } });
}

function jsonError(text) {
    if (!text.trim()) {
        return null;
    }
    try {
        const value = JSON.parse(text);
        return value !== null && typeof value === 'object' && !Array.isArray(value) ? null
            : 'The input must be a JSON object, such as {"argv": ["echo", "hi"]}.';
    } catch (error) {
        return `Not valid JSON: ${error.message}`;
    }
}

/**
 * A command needs its argv (the task-service says so too, but only in the problem's text, which has no field to
 * put it next to).
 */
function commandError(type, text) {
    if (type !== 'command' || !text.trim()) {
        return type === 'command' ? 'A command needs an input such as {"argv": ["echo", "hi"]}.' : null;
    }
    const argv = JSON.parse(text).argv;
    return Array.isArray(argv) && argv.length > 0 && argv.every(arg => typeof arg === 'string') ? null
        : 'A command needs "argv": a non-empty array of strings, such as ["echo", "hi"].';
}

/** The request body; empty fields are left out so that the API's defaults apply. */
function body(f) {
    const number = x => (x.input.value.trim() === '' ? undefined : Number(x.input.value));
    const list = x => x.input.value.split(',').map(s => s.trim()).filter(Boolean);
    const inputText = f.input.input.value.trim();
    return {
        type: f.type.input.value.trim(),
        input: inputText ? JSON.parse(inputText) : {},
        requirements: {
            cpus: number(f.cpus), memoryMb: number(f.memoryMb), gpus: number(f.gpus),
            gpuMemoryMb: number(f.gpuMemoryMb), labels: list(f.labels)
        },
        priority: number(f.priority),
        timeoutSeconds: number(f.timeoutSeconds),
        maxAttempts: number(f.maxAttempts),
        targetWorkers: list(f.targetWorkers),
        idempotencyKey: f.idempotencyKey.input.value.trim() || undefined
    };
}
