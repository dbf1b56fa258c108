package dev.taskmesh.task.lifecycle;

import java.util.List;

/**
 * What a transaction that stores tasks (or completions) and claims for agents in the same transaction did.
 *
 * @param stored what the store answered
 * @param claims what each offered agent got, in the order of the offers (empty lists included)
 */
public record StoredAndClaimed<T>(T stored, List<List<TaskRow>> claims) {

    public StoredAndClaimed {
        claims = List.copyOf(claims);
    }
}
