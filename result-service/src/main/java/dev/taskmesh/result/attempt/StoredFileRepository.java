package dev.taskmesh.result.attempt;

import jakarta.persistence.LockModeType;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;

/** Output file metadata. */
public interface StoredFileRepository extends JpaRepository<StoredFile, Long> {

    /** Locks the row so that concurrent uploads of one name replace the file and the row together. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("SELECT f FROM StoredFile f WHERE f.taskId = :taskId AND f.attempt = :attempt AND f.name = :name")
    Optional<StoredFile> findForUpdate(UUID taskId, int attempt, String name);

    List<StoredFile> findByTaskIdAndAttemptAndWorkerIdOrderByName(UUID taskId, int attempt, String workerId);

    Optional<StoredFile> findByTaskIdAndAttemptAndWorkerIdAndName(UUID taskId, int attempt, String workerId,
                                                                  String name);
}
