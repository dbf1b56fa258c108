package dev.taskmesh.result.attempt;

import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;

/** Attempts that received uploads. */
public interface AttemptRepository extends JpaRepository<Attempt, Long> {

    /**
     * Claims the attempt for the worker unless someone already did; concurrent claims of one attempt are decided by
     * the unique key, so exactly one worker wins.
     */
    @Modifying
    @Query(value = """
            INSERT INTO {h-schema}attempts (task_id, attempt, worker_id, claimed_at, version)
            VALUES (:taskId, :attempt, :workerId, :now, 0)
            ON CONFLICT (task_id, attempt) DO NOTHING""", nativeQuery = true)
    int claimIfUnclaimed(UUID taskId, int attempt, String workerId, Instant now);

    @Query("SELECT a FROM Attempt a WHERE a.taskId = :taskId AND a.number = :attempt")
    Optional<Attempt> find(UUID taskId, int attempt);

    /** Locks the attempt so that concurrent log uploads of it are applied one after the other. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("SELECT a FROM Attempt a WHERE a.taskId = :taskId AND a.number = :attempt")
    Optional<Attempt> findForUpdate(UUID taskId, int attempt);
}
