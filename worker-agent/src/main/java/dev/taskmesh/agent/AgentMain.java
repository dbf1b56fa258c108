package dev.taskmesh.agent;

import dev.taskmesh.agent.local.RunLocalCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The worker agent's command line: {@code agent} connects to a Taskmesh platform and runs what it is sent;
 * {@code run-local} runs one task on this machine without any platform.
 */
@Command(name = "taskmesh-agent", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        subcommands = {AgentCommand.class, RunLocalCommand.class},
        description = "Taskmesh worker agent: runs tasks on this machine.")
public final class AgentMain implements Runnable {

    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: agent or run-local");
    }
}
