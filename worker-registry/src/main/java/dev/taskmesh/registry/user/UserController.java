package dev.taskmesh.registry.user;

import dev.taskmesh.contract.ApiPaths;
import dev.taskmesh.support.ApiException;
import dev.taskmesh.support.Caller;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** People's accounts. Worker tokens are refused on every endpoint here. */
@RestController
@RequestMapping(ApiPaths.USERS)
class UserController {

    private final Users users;

    UserController(Users users) {
        this.users = users;
    }

    @PostMapping
    @PreAuthorize("hasRole('ADMIN')")
    ResponseEntity<UserView> create(@Valid @RequestBody CreateUserRequest request) {
        UserView created = users.create(request);
        return ResponseEntity.created(URI.create(ApiPaths.USERS + "/" + created.id())).body(created);
    }

    @GetMapping
    @PreAuthorize("hasRole('ADMIN')")
    List<UserView> list() {
        return users.list();
    }

    @GetMapping("/{id}")
    @PreAuthorize("hasRole('ADMIN')")
    UserView get(@PathVariable UUID id) {
        return users.get(id);
    }

    @GetMapping("/me")
    @PreAuthorize("hasAnyRole('ADMIN', 'USER')")
    UserView me(Caller caller) {
        return users.get(userId(caller));
    }

    @PatchMapping("/{id}")
    @PreAuthorize("hasRole('ADMIN')")
    UserView update(@PathVariable UUID id, @Valid @RequestBody UpdateUserRequest request, Caller caller) {
        return users.update(id, request, userId(caller));
    }

    private static UUID userId(Caller caller) {
        try {
            return UUID.fromString(caller.id());
        } catch (IllegalArgumentException e) {
            throw ApiException.forbidden("This token does not belong to a user of this registry");
        }
    }
}
