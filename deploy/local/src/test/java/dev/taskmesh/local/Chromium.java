package dev.taskmesh.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's {@code chromium} driven through its {@code chromedriver}: both binaries are named explicitly, so Selenium
 * Manager never looks for (or downloads) a browser or a driver. Each {@link #open()} starts a fresh browser with an
 * empty profile of its own and a download folder, like a person on a new machine.
 */
final class Chromium {

    /** Where Debian's packages put them; {@code -Dtaskmesh.chromium=...} and {@code -Dtaskmesh.chromedriver=...} override. */
    static final Path BROWSER = Path.of(System.getProperty("taskmesh.chromium", "/usr/bin/chromium"));
    static final Path DRIVER = Path.of(System.getProperty("taskmesh.chromedriver", "/usr/bin/chromedriver"));

    /** A running browser, its profile and its download folder; {@link #close()} quits it and deletes both. */
    record Browser(ChromeDriver driver, Path profile, Path downloads) implements AutoCloseable {

        @Override
        public void close() {
            try {
                driver.quit();
            } finally {
                deleteTree(profile);
                deleteTree(downloads);
            }
        }
    }

    private Chromium() {
    }

    /**
     * Skips the calling tests on a developer's machine without Chromium, with a message that says what to install;
     * fails them in CI ({@code CI} set), where {@code .ci/run} installs it: a browser test must never pass by not
     * running there.
     */
    static void requireInstalled() {
        List<Path> missing = Stream.of(BROWSER, DRIVER).filter(binary -> !Files.isExecutable(binary)).toList();
        if (missing.isEmpty()) {
            return;
        }
        String message = "The dashboard's browser tests need Chromium and its driver, missing: " + missing
                + ". Install them (Debian/Ubuntu: apt-get install chromium chromium-driver) or point "
                + "-Dtaskmesh.chromium / -Dtaskmesh.chromedriver at them.";
        String ci = System.getenv("CI");
        if (ci != null && !ci.isBlank()) {
            throw new AssertionError(message + " CI is set, so this fails instead of skipping.");
        }
        // Maven shows an aborted class only as "Tests run: 0": say why where a developer looks
        System.err.println("SKIPPED: " + message);
        Assumptions.abort(message + " Skipped (set CI to make this a failure).");
    }

    /** A new headless browser with a window of 1366x900 (a laptop screen). */
    static Browser open() {
        Path profile = temporaryDirectory("taskmesh-chromium-profile-");
        Path downloads = temporaryDirectory("taskmesh-downloads-");
        var options = new ChromeOptions();
        options.setBinary(BROWSER.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--lang=en-US",
                "--window-size=1366,900", "--user-data-dir=" + profile,
                "--log-net-log=" + profile.resolve("netlog.json"), "--net-log-capture-mode=Default",
                // the first tab opens empty (Debian's build would load its start page from the internet)
                "about:blank");
        options.setExperimentalOption("prefs", Map.of(
                "download.default_directory", downloads.toString(),
                "download.prompt_for_download", false,
                "download.directory_upgrade", true));
        // the console and the network events, read on a failure (see DashboardBrowserIT)
        var logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        options.setExperimentalOption("perfLoggingPrefs", Map.of("enableNetwork", true, "enablePage", false));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort()
                .withSilent(true)
                .build();
        try {
            return new Browser(new ChromeDriver(service, options), profile, downloads);
        } catch (RuntimeException e) {
            deleteTree(profile);
            deleteTree(downloads);
            throw e;
        }
    }

    private static Path temporaryDirectory(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            // a browser may still be writing into its profile while it exits; a temp folder left behind is harmless
            System.err.println("Could not delete " + root + ": " + e);
        }
    }
}
