package dev.taskmesh.local;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code taskmesh-local-exec.jar}: the one-machine launcher; {@code ./taskmesh dev} runs its {@code dev} command. */
@Command(name = "taskmesh", mixinStandardHelpOptions = true, version = "Taskmesh local launcher 0.1.0",
        description = "Runs Taskmesh on this machine.",
        subcommands = {DevCommand.class, CommandLine.HelpCommand.class})
public final class TaskmeshLocal implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TaskmeshLocal()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
