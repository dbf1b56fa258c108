package dev.taskmesh.agent;

import dev.taskmesh.agent.capabilities.AgentVersion;
import picocli.CommandLine;

/** {@code --version}: the agent's version from its jar. */
final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {"taskmesh worker-agent " + AgentVersion.current(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }
}
