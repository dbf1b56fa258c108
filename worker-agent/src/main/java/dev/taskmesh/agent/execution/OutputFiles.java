package dev.taskmesh.agent.execution;

import dev.taskmesh.contract.agent.OutputFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** The files of an output folder, with the names, sizes and SHA-256 digests the platform records. */
public final class OutputFiles {

    private OutputFiles() {
    }

    /**
     * One output file.
     *
     * @param name   path relative to the output folder, with {@code /} between folders
     * @param sha256 lower-case hex
     */
    public record LocalFile(String name, Path path, long size, String sha256) {

        public OutputFile toOutputFile() {
            return new OutputFile(name, size, sha256);
        }
    }

    /**
     * Lists every regular file under {@code dir}, recursively, sorted by name. Symbolic links are skipped: a link
     * could point anywhere on the node.
     */
    public static List<LocalFile> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir)) {
            paths = walk.filter(path -> Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)).toList();
        }
        List<LocalFile> files = new ArrayList<>();
        for (Path path : paths) {
            files.add(new LocalFile(name(dir, path), path, Files.size(path), sha256(path)));
        }
        files.sort((a, b) -> a.name().compareTo(b.name()));
        return List.copyOf(files);
    }

    /** Lower-case hex SHA-256 of a file's content. */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest = sha256Digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = in.read(buffer)) != -1) {
                digest.update(buffer, 0, read);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String name(Path dir, Path file) {
        List<String> segments = new ArrayList<>();
        dir.relativize(file).forEach(segment -> segments.add(segment.toString()));
        return String.join("/", segments);
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
