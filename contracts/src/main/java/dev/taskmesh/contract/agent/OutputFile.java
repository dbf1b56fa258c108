package dev.taskmesh.contract.agent;

/** A file the attempt wrote into its output folder, already uploaded to the result-service. */
public record OutputFile(String name, long size, String sha256) {
}
