package dev.taskmesh.task.estimate;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.contract.auth.Claims;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/tasks/estimate[?type=t]}: queued and running counts and the estimated seconds to drain them
 * with the online workers. For users and admins; it shows counts of the whole platform, not the caller's alone.
 */
@RestController
class EstimateController {

    private final DrainEstimator estimator;

    EstimateController(DrainEstimator estimator) {
        this.estimator = estimator;
    }

    @GetMapping(ApiPaths.TASKS + "/estimate")
    DrainEstimate estimate(@RequestParam(required = false) @Nullable String type, Caller caller) {
        if (!caller.roles().contains(Claims.ROLE_USER) && !caller.isAdmin()) {
            throw ApiException.forbidden("The estimate is for users and admins");
        }
        return estimator.estimate(type == null || type.isBlank() ? null : type.trim());
    }
}
