package dev.taskmesh.result.read;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.result.ResultsProperties;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * Asks the task-service for a task with the caller's own token, so that the task-service alone decides who may
 * see it. Its refusals become ours, with the same status.
 */
@Component
class TaskServiceClient {

    private final RestClient client;

    TaskServiceClient(RestClient.Builder builder, ResultsProperties properties) {
        this.client = builder.baseUrl(properties.taskServiceUrl().toString()).build();
    }

    TaskSnapshot task(UUID taskId, Caller caller) {
        try {
            TaskSnapshot task = client.get()
                    .uri(ApiPaths.TASKS + "/{taskId}", taskId)
                    .headers(headers -> headers.setBearerAuth(caller.token()))
                    .retrieve()
                    .onStatus(status -> status.value() == 401, (request, response) -> {
                        throw new ApiException(HttpStatus.UNAUTHORIZED,
                                "The task-service did not accept your token");
                    })
                    .onStatus(status -> status.value() == 403, (request, response) -> {
                        throw ApiException.forbidden("You may not see task " + taskId);
                    })
                    .onStatus(status -> status.value() == 404, (request, response) -> {
                        throw ApiException.notFound("No task " + taskId);
                    })
                    .onStatus(HttpStatusCode::isError, (request, response) -> {
                        throw new ApiException(HttpStatus.BAD_GATEWAY,
                                "The task-service answered " + response.getStatusCode().value() + " for task " + taskId);
                    })
                    .body(TaskSnapshot.class);
            if (task == null) {
                throw new ApiException(HttpStatus.BAD_GATEWAY, "The task-service answered no task for " + taskId);
            }
            return task;
        } catch (ResourceAccessException e) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "The task-service cannot be reached; try again");
        }
    }
}
