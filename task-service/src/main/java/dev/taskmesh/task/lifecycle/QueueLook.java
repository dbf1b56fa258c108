package dev.taskmesh.task.lifecycle;

/**
 * What a transaction already knows about the queue when it claims ({@link TaskLifecycle#claimAll}): a claim that
 * knows need not look at the queue first, a round trip to PostgreSQL less.
 */
public enum QueueLook {
    /** Nothing known: the claim looks first, unless the last claim got all it asked for. */
    UNKNOWN,
    /** The transaction has just queued tasks, or looked and found some claimable. */
    CLAIMABLE,
    /** The transaction looked after its last write and found nothing claimable. */
    EMPTY
}
