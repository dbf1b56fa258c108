package dev.taskmesh.agent.capabilities;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.agent.Gpu;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NvidiaSmiTests {

    @Test
    void parsesOneLinePerGpu() {
        String output = """
                0, NVIDIA H100 80GB HBM3, 81559, 550.54.15
                1, NVIDIA H100 80GB HBM3, 81559, 550.54.15
                """;

        assertThat(NvidiaSmi.parse(output)).containsExactly(
                new Gpu(0, "NVIDIA H100 80GB HBM3", 81559, "550.54.15"),
                new Gpu(1, "NVIDIA H100 80GB HBM3", 81559, "550.54.15"));
    }

    @Test
    void keepsCommasInsideTheModelNameAndToleratesMissingValues() {
        String output = "0, Tesla T4, rev 2, [N/A], [N/A]\r\n\n";

        assertThat(NvidiaSmi.parse(output)).containsExactly(new Gpu(0, "Tesla T4, rev 2", 0, null));
    }

    @Test
    void skipsLinesItCannotRead() {
        String output = """
                No devices were found
                x, Broken, 1, 2
                3, NVIDIA A10G, 23028, 535.104.05
                """;

        assertThat(NvidiaSmi.parse(output)).containsExactly(new Gpu(3, "NVIDIA A10G", 23028, "535.104.05"));
    }

    @Test
    void emptyOutputMeansNoGpus() {
        assertThat(NvidiaSmi.parse("")).isEmpty();
    }

    @Test
    void findsAProgramOnlyWhenItIsAnExecutableOnThePath(@TempDir Path dir) throws Exception {
        Path program = Files.createFile(dir.resolve("nvidia-smi"));
        String path = "/nonexistent" + File.pathSeparator + dir;

        assertThat(NvidiaSmi.onPath("nvidia-smi", path)).isEmpty();

        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(NvidiaSmi.onPath("nvidia-smi", path)).contains(program);
        assertThat(NvidiaSmi.onPath("nvidia-smi", "")).isEmpty();
    }
}
