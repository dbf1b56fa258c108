package dev.taskmesh.registry.worker;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

interface WorkerRepository extends JpaRepository<Worker, UUID> {

    List<Worker> findAllByDeletedAtIsNullOrderByName();

    Optional<Worker> findByIdAndDeletedAtIsNull(UUID id);

    boolean existsByNameAndDeletedAtIsNull(String name);
}
