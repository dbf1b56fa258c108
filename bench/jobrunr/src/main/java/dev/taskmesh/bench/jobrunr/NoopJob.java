package dev.taskmesh.bench.jobrunr;

/** The job every JobRunr run enqueues: nothing to do, so that the figures are JobRunr's own overhead. */
public final class NoopJob {

    public static void run() {
        // no-op on purpose
    }

    private NoopJob() {
    }
}
