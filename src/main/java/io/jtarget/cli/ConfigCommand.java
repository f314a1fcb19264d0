package io.jtarget.cli;

import io.jtarget.config.ConfigCompiler;
import io.jtarget.config.ConfigError;
import io.jtarget.config.ConfigException;
import io.jtarget.config.ConfigFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jtarget config show|validate|apply}: the configuration file of a data directory. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Show, validate or apply a configuration file (docs/configuration.md).",
        subcommands = {ConfigCommand.Show.class, ConfigCommand.Validate.class, ConfigCommand.Apply.class})
final class ConfigCommand {

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print the configuration a running server runs (inline secrets redacted).")
    static final class Show extends AdminCommand {
        @Override
        void run() throws Refused {
            out().print(requestText("GET", "/v1/config", null));
        }
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Check a configuration file without applying it; every error with the path of its field.")
    static final class Validate extends AdminCommand {
        @Parameters(paramLabel = "FILE", description = "The file (YAML or JSON).")
        Path file;

        @Override
        void run() throws Refused {
            try {
                ConfigCompiler.compile(ConfigFiles.parse(read(file)), dataDir.toAbsolutePath());
                out().println(file + ": valid");
            } catch (ConfigException e) {
                for (ConfigError error : e.errors()) {
                    err().println(file + ": " + error);
                }
                throw new Refused(file + " is not valid (" + e.errors().size() + " error"
                        + (e.errors().size() == 1 ? "" : "s") + ")");
            }
        }
    }

    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = {"Make a running server run this configuration.",
                "Only what differs is changed; sessions of untouched targets and LUNs do not notice. "
                        + "Saved in the data directory."})
    static final class Apply extends AdminCommand {
        @Parameters(paramLabel = "FILE", description = "The file (YAML or JSON).")
        Path file;

        @Option(names = "--force", description = "Remove LUNs even while held (reservation, prevented removal); shrink below written data.")
        boolean force;

        @Override
        void run() throws Refused {
            printResult(request("POST", "/v1/config" + (force ? "?force=true" : ""), read(file)));
        }
    }

    static String read(Path file) throws AdminCommand.Refused {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AdminCommand.Refused("cannot read " + file + ": " + e.getMessage());
        }
    }
}
