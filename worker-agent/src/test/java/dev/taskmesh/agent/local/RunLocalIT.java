package dev.taskmesh.agent.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.agent.AgentMain;
import dev.taskmesh.contract.WireJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code run-local} end to end through picocli, with real processes. */
class RunLocalIT {

    @TempDir
    Path temp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void runsACommandAndListsItsOutputs() throws Exception {
        Path output = temp.resolve("out");

        int exitCode = execute("run-local", "--output", output.toString(), "--input", "{\"env\": {\"WHO\": \"world\"}}",
                "--", "bash", "-c", """
                        echo "::progress 50 Halfway"
                        echo "hello $WHO"
                        mkdir -p "$TASKMESH_OUTPUT_DIR/nested"
                        echo hi > "$TASKMESH_OUTPUT_DIR/nested/out.txt"
                        echo '{"ok": true}' > "$TASKMESH_OUTPUT_DIR/result.json"
                        """);

        assertThat(exitCode).as(err.toString()).isZero();
        assertThat(output.resolve("nested/out.txt")).hasContent("hi");
        assertThat(WireJson.mapper().readTree(output.resolve("result.json").toFile()).get("ok").asBoolean()).isTrue();
        assertThat(out.toString())
                .contains("hello world", "progress: 50% Halfway", "SUCCEEDED", "(exit code 0)", "\"ok\" : true")
                .containsPattern("nested/out.txt +3 B +sha256 98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4");
    }

    @Test
    void exitsWithOneAndPrintsTheErrorWhenTheCommandFails() {
        int exitCode = execute("run-local", "--output", temp.resolve("out").toString(), "--",
                "bash", "-c", "echo broken >&2; exit 3");

        assertThat(exitCode).isEqualTo(1);
        assertThat(out.toString()).contains("FAILED", "(exit code 3)");
        assertThat(err.toString()).contains("error: exit code 3; last lines of stderr: broken");
    }

    @Test
    void exitsWithOneWhenTheTimeoutPasses() {
        int exitCode = execute("run-local", "--output", temp.resolve("out").toString(), "--timeout", "1s", "--",
                "sleep", "1000");

        assertThat(exitCode).isEqualTo(1);
        assertThat(err.toString()).contains("error: timed out after 1 s");
    }

    @Test
    void runsAHandlerWithItsInput() throws Exception {
        Path output = temp.resolve("out");

        int exitCode = execute("run-local", "--type", "noop", "--input", "{\"n\": [1, 2]}", "--output", output.toString());

        assertThat(exitCode).as(err.toString()).isZero();
        assertThat(WireJson.mapper().readTree(output.resolve("result.json").toFile()))
                .isEqualTo(WireJson.mapper().readTree("{\"n\": [1, 2]}"));
        assertThat(out.toString()).contains("SUCCEEDED", "result.json");
    }

    @Test
    void refusesAnUnknownTypeANonEmptyOutputFolderAndAMissingCommand() throws Exception {
        assertThat(execute("run-local", "--type", "nope", "--input", "{}", "--output", temp.resolve("a").toString()))
                .isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("Unknown task type 'nope'");

        Files.writeString(temp.resolve("b.txt"), "x");
        assertThat(execute("run-local", "--output", temp.toString(), "--", "true"))
                .isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("is not empty");

        assertThat(execute("run-local", "--output", temp.resolve("c").toString()))
                .isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("Missing the command");
    }

    @Test
    void barIsDrawnWithPercentAndStage() {
        assertThat(TerminalProgress.bar(40, "Resizing images"))
                .isEqualTo("[############..................]  40% Resizing images");
        assertThat(TerminalProgress.bar(null, null)).isEqualTo("[..............................]   ?%");
    }

    private int execute(String... args) {
        CommandLine commandLine = new CommandLine(new AgentMain());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }
}
