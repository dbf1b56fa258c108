package dev.taskmesh.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskmesh.contract.ApiPaths;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard's reads over REST: list filters by time and search, keyset paging with an opaque cursor, and
 * per-minute statistics over rows stored at known times. Each test has users of its own.
 */
class TaskListIT extends IntegrationTestBase {

    @Autowired
    private JdbcTemplate jdbc;

    private static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.get("items").forEach(task -> ids.add(task.get("id").asString()));
        return ids;
    }

    private String submitAt(String token, String type, Instant createdAt) {
        String id = submit(token, "{\"type\": \"" + type + "\"}").get("id").asString();
        jdbc.update("UPDATE tasks SET created_at = ? WHERE id = ?::uuid", createdAt.atOffset(ZoneOffset.UTC), id);
        return id;
    }

    @Test
    void pagesByCursorNewestFirstWithoutGapsOrRepeats() {
        String token = userToken(unique("pager"));
        Instant base = Instant.parse("2026-02-01T10:00:00Z");
        List<String> newestFirst = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            newestFirst.addFirst(submitAt(token, "page-type", base.plusSeconds(i)));
        }

        JsonNode first = get(ApiPaths.TASKS + "?size=2", token).json();
        assertThat(ids(first)).containsExactlyElementsOf(newestFirst.subList(0, 2));
        assertThat(first.get("total").asLong()).isEqualTo(5);
        assertThat(first.get("totalIsEstimate").asBoolean()).isFalse();
        String cursor = first.get("nextCursor").asString();
        JsonNode second = get(ApiPaths.TASKS + "?size=2&after=" + cursor, token).json();
        assertThat(ids(second)).containsExactlyElementsOf(newestFirst.subList(2, 4));
        JsonNode last = get(ApiPaths.TASKS + "?size=2&after=" + second.get("nextCursor").asString(), token).json();
        assertThat(ids(last)).containsExactly(newestFirst.get(4));
        assertThat(last.get("nextCursor").isNull()).isTrue();
        assertThat(last.get("total").asLong()).isEqualTo(5);

        assertThat(get(ApiPaths.TASKS + "?after=not-a-cursor", token).status()).isEqualTo(400);
        assertThat(get(ApiPaths.TASKS + "?page=1&after=" + cursor, token).status()).isEqualTo(400);
    }

    @Test
    void filtersByCreationTimeAndSearch() {
        String token = userToken(unique("finder"));
        Instant base = Instant.parse("2026-02-02T10:00:00Z");
        String early = submitAt(token, "resize-images", base);
        String middle = submitAt(token, "resize-video", base.plus(Duration.ofHours(1)));
        String late = submitAt(token, "command-x", base.plus(Duration.ofHours(2)));

        String window = ApiPaths.TASKS + "?createdAfter=" + base.plus(Duration.ofMinutes(30))
                + "&createdBefore=" + base.plus(Duration.ofHours(2));
        assertThat(ids(get(window, token).json())).containsExactly(middle);
        assertThat(ids(get(ApiPaths.TASKS + "?createdAfter=" + base, token).json()))
                .containsExactly(late, middle, early);
        assertThat(ids(get(ApiPaths.TASKS + "?q=resize", token).json())).containsExactly(middle, early);
        assertThat(ids(get(ApiPaths.TASKS + "?q=" + early, token).json())).containsExactly(early);
        String prefix = late.substring(0, 8);
        assertThat(ids(get(ApiPaths.TASKS + "?q=" + prefix, token).json())).containsExactly(late);
        assertThat(ids(get(ApiPaths.TASKS + "?q=" + prefix.toUpperCase(java.util.Locale.ROOT), token).json()))
                .containsExactly(late);
        // another user's task is not found by its id
        String other = submit(userToken(unique("other")), "{\"type\": \"resize-images\"}").get("id").asString();
        assertThat(ids(get(ApiPaths.TASKS + "?q=" + other, token).json())).isEmpty();

        assertThat(get(ApiPaths.TASKS + "?createdAfter=yesterday", token).status()).isEqualTo(400);
    }

    @Test
    void countsTasksPerMinuteOverTheWindow() {
        String ownerName = unique("stats");
        String owner = "user-" + ownerName;
        Instant now = Instant.now();
        Instant base = now.truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(10));
        insert(owner, "SUCCEEDED", base.plusSeconds(5), base.plusSeconds(63));
        insert(owner, "SUCCEEDED", base.plusSeconds(6), base.plusSeconds(64));
        insert(owner, "SUCCEEDED", base.plusSeconds(7), base.plusSeconds(65));
        insert(owner, "FAILED", base.plusSeconds(10), base.plusSeconds(125));
        insert(owner, "QUEUED", base.minus(Duration.ofMinutes(20)), null);
        insert(owner, "QUEUED", base.minus(Duration.ofMinutes(20)), null);
        insert(owner, "RUNNING", base.minus(Duration.ofMinutes(30)), null);
        // outside the hour: in no bucket, but still queued now
        insert(owner, "SUCCEEDED", now.minus(Duration.ofHours(3)), now.minus(Duration.ofHours(2)));
        insert(owner, "QUEUED", now.minus(Duration.ofHours(3)), null);
        insert("user-" + unique("someone-else"), "SUCCEEDED", base.plusSeconds(5), base.plusSeconds(63));

        String token = userToken(ownerName);
        Response response = get(ApiPaths.TASKS + "/stats?window=1h", token);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode stats = response.json();
        assertThat(stats.get("window").asString()).isEqualTo("PT1H");
        assertThat(stats.get("byStatus").get("SUCCEEDED").asLong()).isEqualTo(3);
        assertThat(stats.get("byStatus").get("FAILED").asLong()).isEqualTo(1);
        assertThat(stats.get("byStatus").get("QUEUED").asLong()).isEqualTo(2);
        assertThat(stats.get("byStatus").get("RUNNING").asLong()).isEqualTo(1);
        assertThat(stats.get("byStatus").get("CANCELLED").asLong()).isZero();
        assertThat(stats.get("queued").asLong()).isEqualTo(3);
        assertThat(stats.get("running").asLong()).isEqualTo(1);

        JsonNode buckets = stats.get("buckets");
        assertThat(buckets).hasSize(60);
        Map<Instant, JsonNode> byMinute = new HashMap<>();
        buckets.forEach(b -> byMinute.put(OffsetDateTime.parse(b.get("at").asString()).toInstant(), b));
        assertThat(byMinute.get(base).get("submitted").asLong()).isEqualTo(4);
        assertThat(byMinute.get(base.plus(Duration.ofMinutes(1))).get("succeeded").asLong()).isEqualTo(3);
        assertThat(byMinute.get(base.plus(Duration.ofMinutes(2))).get("failed").asLong()).isEqualTo(1);
        assertThat(byMinute.get(base.minus(Duration.ofMinutes(20))).get("submitted").asLong()).isEqualTo(2);
        long submitted = 0;
        for (JsonNode b : buckets) {
            submitted += b.get("submitted").asLong();
        }
        assertThat(submitted).isEqualTo(7);

        String admin = TOKENS.admin(unique("admin"), "Admin");
        JsonNode asAdmin = get(ApiPaths.TASKS + "/stats?window=PT30M&owner=" + owner, admin).json();
        assertThat(asAdmin.get("window").asString()).isEqualTo("PT30M");
        assertThat(asAdmin.get("buckets")).hasSize(30);
        assertThat(asAdmin.get("byStatus").get("SUCCEEDED").asLong()).isEqualTo(3);
        assertThat(get(ApiPaths.TASKS + "/stats?owner=user-nobody", token).status()).isEqualTo(403);
        assertThat(get(ApiPaths.TASKS + "/stats?window=25h", token).status()).isEqualTo(400);
        assertThat(get(ApiPaths.TASKS + "/stats?window=soon", token).status()).isEqualTo(400);
        assertThat(get(ApiPaths.TASKS + "/stats", TOKENS.worker("w-stats")).status()).isEqualTo(403);
    }

    private void insert(String owner, String status, Instant createdAt, Instant finishedAt) {
        jdbc.update("""
                INSERT INTO tasks (id, type, status, owner, owner_name, input, max_attempts, attempt, created_at,
                                   queued_at, dispatch_at, finished_at)
                VALUES (?, 'stats', ?, ?, ?, '{}'::jsonb, 3, 1, ?, ?, ?, ?)""",
                UUID.randomUUID(), status, owner, owner, createdAt.atOffset(ZoneOffset.UTC),
                createdAt.atOffset(ZoneOffset.UTC), createdAt.atOffset(ZoneOffset.UTC), finishedAt == null ? null : finishedAt.atOffset(ZoneOffset.UTC));
    }
}
