package dev.taskmesh.local;

/** The local platform could not start, or a step of its set-up failed; the message says what to look at. */
public class PlatformException extends RuntimeException {

    public PlatformException(String message) {
        super(message);
    }

    public PlatformException(String message, Throwable cause) {
        super(message, cause);
    }
}
