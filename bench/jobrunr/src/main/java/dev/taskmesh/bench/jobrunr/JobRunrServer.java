package dev.taskmesh.bench.jobrunr;

import dev.taskmesh.bench.common.Options;
import java.io.IOException;
import java.time.Duration;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.storage.sql.common.SqlStorageProviderFactory;
import org.jobrunr.utils.mapper.jackson3.Jackson3JsonMapper;

/**
 * One JobRunr background job server in its own JVM, the counterpart of one worker agent. It runs until its standard
 * input closes (the harness holds the pipe) or it is terminated.
 */
final class JobRunrServer {

    static void run(Options options) throws IOException {
        int workers = options.intValue("workers", 4);
        Duration poll = Duration.ofMillis(options.intValue("poll-ms", 5000));
        var dataSource = JobRunrBench.dataSource(options.require("jdbc"), workers + 4);
        JobRunr.configure()
                .useJsonMapper(new Jackson3JsonMapper())
                .useStorageProvider(SqlStorageProviderFactory.using(dataSource))
                .useBackgroundJobServer(BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                        .andName(options.get("name", "bench"))
                        .andWorkerCount(workers)
                        .andPollInterval(poll))
                .initialize();
        System.out.println("READY workers=" + workers + " poll=" + poll);
        System.out.flush();
        try {
            while (System.in.read() != -1) {
                // the harness never writes; end of input means it is gone
            }
        } finally {
            JobRunr.getBackgroundJobServer().stop();
            dataSource.close();
        }
    }

    private JobRunrServer() {
    }
}
