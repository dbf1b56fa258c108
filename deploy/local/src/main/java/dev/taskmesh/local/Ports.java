package dev.taskmesh.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback ports for the children. */
final class Ports {

    /** A port that was free a moment ago; the child that gets it binds it right away. */
    static int free() {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new PlatformException("No free port on loopback: " + e.getMessage(), e);
        }
    }

    /**
     * Fails when something already listens on {@code port}: a leftover service from an earlier run would
     * otherwise answer the health check for the child that failed to bind.
     */
    static void requireFree(int port, String address, String what) {
        try (var socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(address), port), 1);
        } catch (IOException e) {
            throw new PlatformException("Port " + port + " for " + what + " is in use (" + e.getMessage()
                    + "). Is an earlier Taskmesh still running? Choose another port or stop that process.");
        }
    }

    private Ports() {
    }
}
