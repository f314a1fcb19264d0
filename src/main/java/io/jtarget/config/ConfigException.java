package io.jtarget.config;

import java.util.List;

/** A configuration that cannot be served; every error with the path of the field it is about. */
public final class ConfigException extends Exception {
    private final List<ConfigError> errors;

    public ConfigException(List<ConfigError> errors) {
        super(summary(errors));
        this.errors = List.copyOf(errors);
    }

    public ConfigException(ConfigError error) {
        this(List.of(error));
    }

    public List<ConfigError> errors() {
        return errors;
    }

    /** The first error, and how many more there are: one line for a refusal. */
    private static String summary(List<ConfigError> errors) {
        if (errors.isEmpty()) {
            return "invalid configuration";
        }
        return errors.getFirst() + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "");
    }
}
