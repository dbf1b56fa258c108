package dev.taskmesh.registry.user;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Component;

/** Creates the first admin from {@code taskmesh.registry.admin-password}, so that a fresh install can be used. */
@Component
class AdminBootstrap implements ApplicationRunner {

    static final String ADMIN_USERNAME = "admin";
    private static final Logger log = LoggerFactory.getLogger(AdminBootstrap.class);

    private final Users users;
    private final BootstrapProperties properties;

    AdminBootstrap(Users users, BootstrapProperties properties) {
        this.users = users;
        this.properties = properties;
    }

    @Override
    public void run(ApplicationArguments args) {
        String password = properties.adminPassword();
        if (password == null || password.isBlank()) {
            if (!users.exists(ADMIN_USERNAME)) {
                log.warn("There is no user '{}' and taskmesh.registry.admin-password (TASKMESH_ADMIN_PASSWORD) is not "
                        + "set: nobody can create users until it is", ADMIN_USERNAME);
            }
            return;
        }
        if (password.length() < 8) {
            log.warn("taskmesh.registry.admin-password is shorter than 8 characters; choose a longer one");
        }
        try {
            if (users.createAdminIfMissing(ADMIN_USERNAME, password)) {
                log.info("Created user '{}' from taskmesh.registry.admin-password", ADMIN_USERNAME);
            }
        } catch (DataIntegrityViolationException e) {
            // another registry instance created it at the same moment
            log.info("User '{}' was created by another instance", ADMIN_USERNAME);
        }
    }
}
