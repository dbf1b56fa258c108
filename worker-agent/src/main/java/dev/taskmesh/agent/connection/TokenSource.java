package dev.taskmesh.agent.connection;

import java.io.IOException;

/** Hands out the worker's access token (a JWT) for STOMP CONNECT and uploads. */
public interface TokenSource {

    /** A token valid for a while yet, fetched anew when the current one is about to expire. */
    String current() throws IOException, InterruptedException;

    /** A freshly issued token, e.g. after the server answered 401 or before a reconnect. */
    String refresh() throws IOException, InterruptedException;
}
