package dev.taskmesh.registry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.testsupport.TestPostgres;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** Several registries starting at once on an empty schema must end up with one key. */
class SigningKeyStoreIT {

    @Test
    void concurrentFirstStartsAgreeOnOneActiveKey() throws Exception {
        TestPostgres.Database db = TestPostgres.newDatabase();
        var dataSource = new DriverManagerDataSource(db.url(), db.username(), db.password());
        Flyway.configure().dataSource(dataSource).schemas("registry")
                .locations("classpath:db/migration/registry").load().migrate();
        var jdbc = new JdbcTemplate(dataSource);

        int starts = 6;
        List<Callable<SigningKeys>> instances = new ArrayList<>();
        for (int i = 0; i < starts; i++) {
            instances.add(() -> new SigningKeyStore(jdbc).loadOrCreate());
        }
        ExecutorService executor = Executors.newFixedThreadPool(starts);
        List<String> kids = new ArrayList<>();
        try {
            for (Future<SigningKeys> result : executor.invokeAll(instances, 60, TimeUnit.SECONDS)) {
                kids.add(result.get().active().getKeyID());
            }
        } finally {
            executor.shutdownNow();
        }

        assertThat(kids).hasSize(starts).containsOnly(kids.getFirst());
        assertThat(jdbc.queryForObject("SELECT count(*) FROM registry.signing_keys", Integer.class)).isEqualTo(1);
        // a restart reads the same key back, private part included
        SigningKeys restarted = new SigningKeyStore(jdbc).loadOrCreate();
        assertThat(restarted.active().getKeyID()).isEqualTo(kids.getFirst());
        assertThat(restarted.active().isPrivate()).isTrue();
        assertThat(restarted.publicKeys().getKeys()).singleElement()
                .satisfies(k -> assertThat(k.isPrivate()).isFalse());
    }
}
