package dev.taskmesh.agent.execution;

import dev.taskmesh.contract.agent.LogLine;
import dev.taskmesh.contract.agent.LogStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/** Keeps what an attempt reports, for assertions. */
final class RecordingListener implements AttemptListener {

    record Progress(@Nullable Integer percent, @Nullable String stage) {
    }

    final List<LogLine> lines = new CopyOnWriteArrayList<>();
    final List<Progress> progress = new CopyOnWriteArrayList<>();

    @Override
    public void onLog(LogLine line) {
        lines.add(line);
    }

    @Override
    public void onProgress(@Nullable Integer percent, @Nullable String stage) {
        progress.add(new Progress(percent, stage));
    }

    List<String> texts(LogStream stream) {
        return lines.stream().filter(line -> line.stream() == stream).map(LogLine::text).toList();
    }
}
