package dev.taskmesh.contract.agent;

/** Where a log line came from. */
public enum LogStream {
    STDOUT, STDERR, AGENT
}
