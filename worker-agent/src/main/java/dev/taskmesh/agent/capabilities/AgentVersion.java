package dev.taskmesh.agent.capabilities;

/** The agent's version, from the {@code Implementation-Version} of its jar's manifest. */
public final class AgentVersion {

    private AgentVersion() {
    }

    /** The version, or {@code dev} when running from classes rather than the built jar. */
    public static String current() {
        String version = AgentVersion.class.getPackage().getImplementationVersion();
        return version == null || version.isBlank() ? "dev" : version;
    }
}
