package io.jtarget.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * The configuration file in a data directory: {@value #FILE_NAME}, YAML (JSON is YAML too, so
 * {@code config apply} takes either). Reading turns syntax and type errors into {@link ConfigError}s
 * with the path of the field; {@link #save} replaces the file atomically and keeps the previous
 * version as {@value #PREVIOUS_NAME}.
 */
public final class ConfigFiles {
    public static final String FILE_NAME = "jtarget.yaml";
    public static final String PREVIOUS_NAME = "jtarget.yaml.prev";
    private static final String TEMP_NAME = ".jtarget.yaml.tmp";
    private static final String PREVIOUS_TEMP_NAME = ".jtarget.yaml.prev.tmp";
    private static final String HEADER = "# jtarget configuration (docs/configuration.md). The server rewrites this file on\n"
            + "# live changes (jtarget lun add, config apply, ...); the previous version is " + PREVIOUS_NAME + ".\n";

    private static final ObjectMapper MAPPER = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                    .build())
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_EMPTY, JsonInclude.Include.NON_EMPTY))
            .build();

    /** The steps of {@link #save}, for tests that fail between them (a crash mid-save). */
    public enum SaveStep {
        TEMP_WRITTEN,
        PREVIOUS_KEPT,
        RENAMED
    }

    /** Called after each step of a save; a test throws from it to simulate a crash there. */
    @FunctionalInterface
    public interface SaveObserver {
        void after(SaveStep step) throws IOException;
    }

    private ConfigFiles() {}

    /** The configuration file of a data directory. */
    public static Path in(Path dataDir) {
        return dataDir.resolve(FILE_NAME);
    }

    /** @return the document, or empty when the file does not exist */
    public static Optional<ConfigDocument> read(Path file) throws ConfigException, IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(parse(text));
    }

    /** @throws ConfigException naming the field (and line) of a syntax or type error */
    public static ConfigDocument parse(String text) throws ConfigException {
        if (text.isBlank()) {
            return new ConfigDocument(List.of(), null, null, List.of());
        }
        try {
            ConfigDocument doc = MAPPER.readValue(text, ConfigDocument.class);
            return doc == null ? new ConfigDocument(List.of(), null, null, List.of()) : doc;
        } catch (UnrecognizedPropertyException e) {
            // The path names the field; the parser's line is where it stopped reading, often the next one.
            throw new ConfigException(new ConfigError(path(e), "unknown field '" + e.getPropertyName() + "'"));
        } catch (JsonMappingException e) {
            // A syntax error met while binding a value arrives wrapped, with the path of that value.
            String prefix = e.getCause() instanceof StreamReadException ? "not valid YAML: " : "";
            throw new ConfigException(new ConfigError(path(e), prefix
                    + e.getOriginalMessage().lines().findFirst().orElse("") + line(e.getLocation())));
        } catch (JacksonException e) {
            throw new ConfigException(new ConfigError("", "not valid YAML: "
                    + e.getOriginalMessage().lines().findFirst().orElse("") + line(e.getLocation())));
        }
    }

    /** The document as YAML, as {@link #save} writes it. */
    public static String format(ConfigDocument doc) {
        try {
            return HEADER + MAPPER.writeValueAsString(doc);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot write the configuration", e);
        }
    }

    public static void save(Path dataDir, ConfigDocument doc) throws IOException {
        save(dataDir, doc, step -> {});
    }

    /** {@link #save}, keeping the comments of {@code commentsFrom} (null: of the file replaced). */
    public static void save(Path dataDir, ConfigDocument doc, String commentsFrom) throws IOException {
        save(dataDir, doc, commentsFrom, step -> {});
    }

    /**
     * Replace the data directory's configuration file atomically, keeping the one it replaces as
     * {@value #PREVIOUS_NAME}: the new text goes to a temporary file that is fsynced; the current file
     * is hard-linked to a temporary name that is renamed over the previous version; the temporary
     * file is renamed over the current one; the directory is fsynced. A crash at any point leaves
     * either the old or the new file complete in place, never a partial one or none.
     */
    public static void save(Path dataDir, ConfigDocument doc, SaveObserver observer) throws IOException {
        save(dataDir, doc, null, observer);
    }

    private static void save(Path dataDir, ConfigDocument doc, String commentsFrom, SaveObserver observer)
            throws IOException {
        Path file = in(dataDir);
        Path temp = dataDir.resolve(TEMP_NAME);
        String text = format(doc);
        String commented = commentsFrom != null ? withComments(commentsFrom, text) : withCommentsOf(file, text);
        byte[] bytes = commented.getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            var buffer = java.nio.ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
            ch.force(true);
        }
        observer.after(SaveStep.TEMP_WRITTEN);
        if (Files.exists(file)) {
            Path previousTemp = dataDir.resolve(PREVIOUS_TEMP_NAME);
            Files.deleteIfExists(previousTemp);
            Files.createLink(previousTemp, file);
            Files.move(previousTemp, dataDir.resolve(PREVIOUS_NAME), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
        observer.after(SaveStep.PREVIOUS_KEPT);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        observer.after(SaveStep.RENAMED);
        fsyncDirectory(dataDir);
    }

    /**
     * {@code text} with the comments an operator wrote in the current file, where they still
     * belong ({@link YamlComments}); used only when it reads back as exactly the same
     * configuration, so a comment can never change what is written.
     */
    private static String withCommentsOf(Path file, String text) throws IOException {
        String current;
        try {
            current = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return text;
        }
        return withComments(current, text);
    }

    private static String withComments(String source, String text) {
        String commented = YamlComments.carryOver(source, text);
        if (commented.equals(text)) {
            return text;
        }
        try {
            return format(parse(commented)).equals(text) ? commented : text;
        } catch (ConfigException e) {
            return text;
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Jackson's reference path as {@code targets[1].luns[0].size}. */
    private static String path(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!b.isEmpty()) {
                    b.append('.');
                }
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String line(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? "" : " (line " + location.getLineNr() + ")";
    }
}
