package dev.taskmesh.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Loopback ports for the children. */
final class Ports {

    /** A port that was free a moment ago; the child that gets it binds it right away. */
    static int free() {
        return free(1).getFirst();
    }

    /**
     * Ports that were free a moment ago, all different: every socket stays open until all are chosen. Chosen one at
     * a time, two children could be handed the same port, and the one that lost the bind would have its health check
     * answered by the other.
     */
    static List<Integer> free(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                var socket = new ServerSocket();
                sockets.add(socket);
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } catch (IOException e) {
            throw new PlatformException("No free port on loopback: " + e.getMessage(), e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing a listening socket that accepted nothing does not fail in a way that matters here
                }
            }
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
