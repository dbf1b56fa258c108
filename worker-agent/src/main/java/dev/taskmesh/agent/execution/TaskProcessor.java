package dev.taskmesh.agent.execution;

/** Runs attempts of one task type. */
interface TaskProcessor {

    /**
     * Runs the attempt to its end, honouring its timeout and cancellation. Never leaves a process of the attempt
     * running behind it.
     *
     * @throws InterruptedException never for a normal end; an interrupt is treated as a cancellation
     */
    AttemptResult run(AttemptRun run) throws InterruptedException;
}
