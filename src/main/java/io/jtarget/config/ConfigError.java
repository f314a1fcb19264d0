package io.jtarget.config;

/**
 * One thing wrong with a configuration: where ({@code targets[1].luns[0].size}) and why
 * ({@code must be a multiple of 512}).
 */
public record ConfigError(String path, String message) {
    @Override
    public String toString() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}
