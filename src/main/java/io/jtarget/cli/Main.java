package io.jtarget.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jtarget} command. */
@Command(
        name = "jtarget",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A SCSI target server: exports disks over iSCSI (RFC 7143) and iSER (RFC 7145), and "
                + "serves LIO user backstores (TCMU).",
        subcommands = {ServeCommand.class, TcmuCommand.class, TargetCommands.Target.class, TargetCommands.Lun.class,
            TargetCommands.Acl.class, TargetCommands.Portal.class, TargetCommands.SessionCmd.class, ConfigCommand.class,
            StatsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit code for bad command-line arguments. */
    public static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        // One line naming the bad argument, then a hint; exit code 2 (as the README promises).
        cli.setParameterExceptionHandler((ex, argv) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("jtarget: " + ex.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
            return EXIT_USAGE;
        });
        return cli;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jtarget " + (v == null ? "(development build)" : v)};
        }
    }
}
