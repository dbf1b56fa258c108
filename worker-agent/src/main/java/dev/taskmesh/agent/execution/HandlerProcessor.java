package dev.taskmesh.agent.execution;

import dev.taskmesh.agent.handler.TaskHandler;
import dev.taskmesh.agent.handler.TaskOutcome;
import dev.taskmesh.contract.agent.Outcome;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/** Runs a task with a {@link TaskHandler} on its own virtual thread, so that a timeout or cancel can interrupt it. */
final class HandlerProcessor implements TaskProcessor {

    private final TaskHandler handler;
    private final Duration stopGrace;

    HandlerProcessor(TaskHandler handler, Duration stopGrace) {
        this.handler = handler;
        this.stopGrace = stopGrace;
    }

    @Override
    public AttemptResult run(AttemptRun run) {
        CompletableFuture<@Nullable TaskOutcome> result = new CompletableFuture<>();
        Thread worker = Thread.ofVirtual().name("handler-" + handler.type() + "-" + run.assignment().taskId())
                .start(() -> {
                    try {
                        result.complete(handler.handle(new HandlerContext(run)));
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    }
                });
        Integer timeout = run.assignment().timeoutSeconds();
        boolean timedOut = false;
        boolean interrupted = false;
        try {
            CompletableFuture<Object> endOrCancel = CompletableFuture.anyOf(result, run.cancellation());
            if (timeout == null) {
                endOrCancel.get();
            } else {
                endOrCancel.get(timeout, TimeUnit.SECONDS);
            }
        } catch (TimeoutException e) {
            timedOut = true;
        } catch (InterruptedException e) {
            interrupted = true;
            run.cancel("interrupted");
        } catch (ExecutionException e) {
            // the handler threw: reported below
        }
        if (timedOut || run.isCancelled()) {
            if (timedOut) {
                // the handler sees isCancelled() turn true either way
                run.cancel("timed out");
            }
            run.note(timedOut ? "timed out after " + timeout + " s: stopping the handler"
                    : "cancelled (" + run.cancelReason().orElse("") + "): stopping the handler");
            worker.interrupt();
            awaitQuietly(result);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return timedOut ? AttemptResult.failed("timed out after " + timeout + " s", true, null)
                    : AttemptResult.cancelled(run.cancelReason().orElse("cancelled"));
        }
        return finished(run, result);
    }

    private AttemptResult finished(AttemptRun run, CompletableFuture<@Nullable TaskOutcome> result) {
        TaskOutcome outcome;
        try {
            outcome = result.join();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String message = cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
            run.note("handler " + handler.type() + " failed: " + cause);
            return AttemptResult.failed(message, true, null);
        }
        if (outcome == null) {
            return AttemptResult.failed("handler " + handler.type() + " returned no outcome", true, null);
        }
        return switch (outcome.outcome()) {
            case SUCCEEDED -> AttemptResult.succeededWith(outcome.output());
            case FAILED -> AttemptResult.failed(String.valueOf(outcome.error()), outcome.retryable(), null);
            case CANCELLED -> AttemptResult.cancelled(run.cancelReason().orElse("stopped by the handler"));
        };
    }

    private void awaitQuietly(CompletableFuture<?> result) {
        try {
            result.get(stopGrace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // a handler that ignores interrupts is left to finish on its own; its result no longer counts
        }
    }
}
