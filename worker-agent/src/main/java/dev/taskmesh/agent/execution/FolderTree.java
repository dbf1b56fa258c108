package dev.taskmesh.agent.execution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deletes a folder with everything in it. */
public final class FolderTree {

    private FolderTree() {
    }

    /** Deletes {@code dir} and its content, deepest first; a folder that does not exist is already deleted. */
    public static void delete(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (NoSuchFileException e) {
            // nothing there
        }
    }
}
