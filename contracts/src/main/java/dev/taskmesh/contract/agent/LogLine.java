package dev.taskmesh.contract.agent;

import java.time.Instant;

/** One line the task printed. {@code seq} counts from 1 within an attempt, so a reader can spot gaps and order. */
public record LogLine(long seq, Instant at, LogStream stream, String text) {
}
