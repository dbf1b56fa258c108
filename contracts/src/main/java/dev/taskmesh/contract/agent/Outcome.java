package dev.taskmesh.contract.agent;

/** How an attempt ended, as the agent saw it. */
public enum Outcome {
    SUCCEEDED, FAILED, CANCELLED
}
