package dev.taskmesh.registry.user;

import dev.taskmesh.support.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Accounts of people: creating and changing them, and checking their passwords. */
@Service
public class Users {

    static final String USERNAME_PATTERN = "[a-zA-Z0-9._-]+";
    /** BCrypt reads at most 72 bytes; a longer password would be silently cut, so it is refused. */
    private static final int MAX_PASSWORD_BYTES = 72;

    private final UserRepository repository;
    private final PasswordEncoder passwordEncoder;
    private final ApplicationEventPublisher events;
    /** Checked against when the user does not exist, so that the answer takes as long as for a wrong password. */
    private final String unknownUserHash;

    Users(UserRepository repository, PasswordEncoder passwordEncoder, ApplicationEventPublisher events) {
        this.repository = repository;
        this.passwordEncoder = passwordEncoder;
        this.events = events;
        this.unknownUserHash = passwordEncoder.encode("no such user, same cost");
    }

    /**
     * The user with these credentials, if they exist, match and the user is enabled. Deliberately outside a
     * transaction: the BCrypt check takes a while and needs no database connection.
     */
    public Optional<AuthenticatedUser> authenticate(String username, String password) {
        if (tooLong(password)) {
            return Optional.empty();
        }
        Optional<User> user = repository.findByUsername(username);
        boolean matches = passwordEncoder.matches(password, user.map(User::passwordHash).orElse(unknownUserHash));
        return user.filter(u -> matches && u.enabled()).map(Users::authenticated);
    }

    /** The user with this id while they are enabled, with their current roles. */
    @Transactional(readOnly = true)
    public Optional<AuthenticatedUser> findEnabled(UUID id) {
        return repository.findById(id).filter(User::enabled).map(Users::authenticated);
    }

    @Transactional
    UserView create(CreateUserRequest request) {
        checkPasswordLength(request.password());
        if (repository.existsByUsername(request.username())) {
            throw usernameTaken(request.username());
        }
        List<Role> roles = request.roles() == null ? List.of(Role.USER) : request.roles();
        var user = new User(request.username(), passwordEncoder.encode(request.password()), roles, Instant.now());
        try {
            return UserView.from(repository.saveAndFlush(user));
        } catch (DataIntegrityViolationException e) {
            // another request took the name between the check and the insert
            throw usernameTaken(request.username());
        }
    }

    /**
     * Creates {@code username} with roles ADMIN and USER unless that user exists.
     *
     * @return whether it was created
     */
    @Transactional
    boolean createAdminIfMissing(String username, String password) {
        if (repository.existsByUsername(username)) {
            return false;
        }
        checkPasswordLength(password);
        repository.saveAndFlush(new User(username, passwordEncoder.encode(password), List.of(Role.ADMIN, Role.USER),
                Instant.now()));
        return true;
    }

    @Transactional(readOnly = true)
    boolean exists(String username) {
        return repository.existsByUsername(username);
    }

    @Transactional(readOnly = true)
    List<UserView> list() {
        return repository.findAllByOrderByUsername().stream().map(UserView::from).toList();
    }

    @Transactional(readOnly = true)
    UserView get(UUID id) {
        return repository.findById(id).map(UserView::from)
                .orElseThrow(() -> ApiException.notFound("No user with id " + id));
    }

    /**
     * Applies the fields that are set. An admin cannot disable themselves or drop their own ADMIN role, so that
     * the last admin cannot lock everyone out by accident.
     */
    @Transactional
    UserView update(UUID id, UpdateUserRequest request, UUID changedBy) {
        User user = repository.findById(id).orElseThrow(() -> ApiException.notFound("No user with id " + id));
        boolean self = user.id().equals(changedBy);
        boolean accessChanged = false;
        if (request.roles() != null) {
            if (self && !request.roles().contains(Role.ADMIN)) {
                throw ApiException.conflict("You cannot remove your own ADMIN role");
            }
            accessChanged |= !Set.copyOf(user.roles()).equals(Set.copyOf(request.roles()));
            user.changeRoles(request.roles());
        }
        if (request.enabled() != null) {
            if (self && !request.enabled()) {
                throw ApiException.conflict("You cannot disable yourself");
            }
            accessChanged |= user.enabled() != request.enabled();
            user.enable(request.enabled());
        }
        if (request.password() != null) {
            checkPasswordLength(request.password());
            user.changePasswordHash(passwordEncoder.encode(request.password()));
            accessChanged = true;
        }
        if (accessChanged) {
            events.publishEvent(new UserAccessChanged(user.id()));
        }
        return UserView.from(repository.saveAndFlush(user));
    }

    private static AuthenticatedUser authenticated(User user) {
        return new AuthenticatedUser(user.id(), user.username(), user.roles());
    }

    private static boolean tooLong(String password) {
        return password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES;
    }

    private static void checkPasswordLength(String password) {
        if (tooLong(password)) {
            throw ApiException.badRequest("password must be at most " + MAX_PASSWORD_BYTES + " bytes in UTF-8");
        }
    }

    private static ApiException usernameTaken(String username) {
        return ApiException.conflict("Username '" + username + "' is taken");
    }
}
