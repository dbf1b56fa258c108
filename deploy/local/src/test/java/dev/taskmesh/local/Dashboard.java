package dev.taskmesh.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard as a person sees it in one browser: finds elements by their {@code data-testid}, waits for what
 * the page shows (explicit waits only, generous: the machine may be busy), and saves screenshots.
 */
final class Dashboard {

    /** Long enough for a busy build machine; a wait that passes returns as soon as its condition holds. */
    static final Duration TIMEOUT = Duration.ofSeconds(90);
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final ChromeDriver driver;
    private final String baseUrl;
    private final WebDriverWait wait;

    Dashboard(ChromeDriver driver, String baseUrl) {
        this.driver = driver;
        this.baseUrl = baseUrl;
        this.wait = new WebDriverWait(driver, TIMEOUT, Duration.ofMillis(100));
        wait.ignoring(StaleElementReferenceException.class);
    }

    static By testId(String id) {
        return By.cssSelector("[data-testid='" + id + "']");
    }

    ChromeDriver driver() {
        return driver;
    }

    /** Loads the page anew at {@code #<route>}, e.g. {@code /tasks}: like typing the address or opening a link. */
    void load(String route) {
        driver.get(baseUrl + "/#" + route);
    }

    /** Moves to {@code #<route>} inside the loaded page, like following a link in it (no page load). */
    void go(String route) {
        script("location.hash = arguments[0]", route);
    }

    /** Logs in through the login form of a freshly loaded page. */
    void logIn(String username, String password) {
        load("/overview");
        WebElement form = visible("login-form");
        WebElement user = form.findElement(testId("login-username"));
        user.clear();
        user.sendKeys(username);
        form.findElement(testId("login-password")).sendKeys(password);
        form.findElement(testId("login-submit")).click();
        awaitText("whoami", text -> text.startsWith(username + " "));
    }

    void logOut() {
        visible("logout").click();
        visible("login-form");
    }

    WebElement visible(String testId) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(testId(testId)));
    }

    WebElement visible(By locator) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(locator));
    }

    void awaitGone(String testId) {
        wait.until(ExpectedConditions.invisibilityOfElementLocated(testId(testId)));
    }

    /** Waits until the visible text of the element with this test id matches; answers that text. */
    String awaitText(String testId, Predicate<String> condition) {
        return awaitText(testId(testId), condition);
    }

    String awaitText(By locator, Predicate<String> condition) {
        String[] last = {"(not shown)"};
        return until(() -> locator + " to show the expected text; last shown: " + last[0], driver -> {
            List<WebElement> found = driver.findElements(locator);
            if (found.isEmpty() || !found.getFirst().isDisplayed()) {
                last[0] = "(not shown)";
                return null;
            }
            String text = found.getFirst().getText();
            last[0] = "\"" + text + "\"";
            return condition.test(text) ? text : null;
        });
    }

    <T> T until(Function<WebDriver, T> condition) {
        return wait.until(condition);
    }

    /** Waits for {@code condition}; a timeout says {@code description}, computed then. */
    <T> T until(Supplier<String> description, Function<WebDriver, T> condition) {
        var described = new WebDriverWait(driver, TIMEOUT, Duration.ofMillis(100));
        described.ignoring(StaleElementReferenceException.class);
        described.withMessage(description);
        return described.until(condition);
    }

    String text(String testId) {
        return driver.findElement(testId(testId)).getText();
    }

    /** Whether an element with this test id is displayed now (one replaced while looking counts as its successor). */
    boolean isShown(String testId) {
        for (int tries = 0; ; tries++) {
            try {
                return driver.findElements(testId(testId)).stream().anyMatch(WebElement::isDisplayed);
            } catch (StaleElementReferenceException e) {
                if (tries == 2) {
                    throw e;
                }
            }
        }
    }

    /** Types into a field after clearing it. */
    void type(String testId, String text) {
        WebElement field = visible(testId);
        field.clear();
        field.sendKeys(text);
    }

    /** Sets a (large) field's value as a paste would, firing the input event the page listens to. */
    void paste(String testId, String text) {
        WebElement field = visible(testId);
        script("arguments[0].value = arguments[1];"
                + "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", field, text);
    }

    Object script(String source, Object... arguments) {
        return ((JavascriptExecutor) driver).executeScript(source, arguments);
    }

    /**
     * Leaves a random mark in the page's window: {@link #isSamePage} answers whether it is still there, i.e. the
     * page was not loaded again since.
     */
    String markPage() {
        String mark = UUID.randomUUID().toString();
        script("window.__taskmeshTestMark = arguments[0]", mark);
        return mark;
    }

    boolean isSamePage(String mark) {
        return mark.equals(script("return window.__taskmeshTestMark ?? null"));
    }

    /** Saves a PNG of the window as {@code target/screenshots/<name>.png}, without the passing notifications. */
    Path screenshot(String name) {
        dismissNotifications();
        return save(name, driver.getScreenshotAs(OutputType.BYTES));
    }

    /** The window as it is, notifications included: evidence of a failure. */
    Path evidence(String name) {
        return save(name, driver.getScreenshotAs(OutputType.BYTES));
    }

    /** Like {@link #screenshot} but of the whole page, beyond the window (Chrome's DevTools protocol). */
    Path fullPageScreenshot(String name) {
        dismissNotifications();
        Object height = script("return Math.max(document.documentElement.scrollHeight, window.innerHeight)");
        Object width = script("return document.documentElement.clientWidth");
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
                "captureBeyondViewport", true,
                "clip", Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
        return save(name, Base64.getDecoder().decode((String) shot.get("data")));
    }

    private void dismissNotifications() {
        for (WebElement close : driver.findElements(By.cssSelector(".toast .toast-close"))) {
            try {
                close.click();
            } catch (WebDriverException e) {
                // it went by itself, or a dialog keeps it from being clicked: the picture shows it then
            }
        }
    }

    private static Path save(String name, byte[] png) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(name + ".png");
            Files.write(file, png);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
