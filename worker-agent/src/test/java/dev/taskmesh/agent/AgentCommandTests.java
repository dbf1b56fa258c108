package dev.taskmesh.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code agent}'s options through picocli: a bad value is refused before the agent connects anywhere. */
class AgentCommandTests {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void refusesAPrefetchThatIsNeitherAutoNorACount() {
        int exitCode = execute("agent", "--worker-id", "w", "--token", "t", "--prefetch", "lots");

        assertThat(exitCode).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("--prefetch: a prefetch is auto or a count of 0 or more, got 'lots'");
    }

    @Test
    void refusesANegativePrefetchAndTooFewSlots() {
        assertThat(execute("agent", "--worker-id", "w", "--token", "t", "--prefetch", "-1"))
                .isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("--prefetch: a prefetch is 0 or more, got -1");

        assertThat(execute("agent", "--worker-id", "w", "--token", "t", "--slots", "0"))
                .isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("--slots must be at least 1, got 0");
    }

    private int execute(String... args) {
        CommandLine commandLine = new CommandLine(new AgentMain());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }
}
