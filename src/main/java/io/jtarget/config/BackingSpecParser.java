package io.jtarget.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Parses the CLI's {@code --lun} values.
 *
 * <pre>
 *   ram:SIZE                  e.g. ram:512M
 *   file:PATH                 an existing file, served at its own size
 *   file:PATH:SIZE            created sparse at SIZE when missing, e.g. file:/srv/lun0.img:10G
 *   ...,wt                    (file) write-through: every write durable before it completes
 *   ...,ro                    read-only LUN (only through {@link #parseLun})
 *   ...,removable             removable medium (only through {@link #parseLun})
 * </pre>
 *
 * <p>SIZE is a byte count with an optional binary suffix: K, M, G, T or KiB, MiB, GiB, TiB
 * (case-insensitive, all powers of 1024); it must be a positive multiple of 512. A path may
 * contain ':'; the text after the last ':' is taken as the size only when it parses as one
 * (so {@code file:/mnt/a:b/x.img} is a path). A ',' always starts the flags, so paths with
 * ',' cannot be given here.
 */
public final class BackingSpecParser {

    private static final long SECTOR = 512;
    private static final String RAM = "ram:";
    private static final String FILE = "file:";
    private static final String[] SIZE_UNITS = {"", "K", "M", "G", "T", "P", "E"};

    private BackingSpecParser() {}

    /** A {@code --lun} value with its LUN-level flags. */
    public record ParsedLun(BackingSpec backing, boolean readOnly, boolean removable) {
        public ParsedLun(BackingSpec backing, boolean readOnly) {
            this(backing, readOnly, false);
        }
    }

    /**
     * @throws IllegalArgumentException with a one-line message naming the bad value, also when
     *     it carries the LUN flag {@code ro} (use {@link #parseLun} where read-only is supported)
     */
    public static BackingSpec parse(String value) {
        ParsedLun lun = parseLun(value);
        if (lun.readOnly() || lun.removable()) {
            throw new IllegalArgumentException("LUN flags (ro, removable) are not allowed in backing store '" + value + "'");
        }
        return lun.backing();
    }

    /** Like {@link #parse}, also accepting the LUN flags {@code ro} and {@code removable}. */
    public static ParsedLun parseLun(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(
                    "empty backing store '" + (value == null ? "" : value) + "'; expected ram:SIZE, file:PATH or file:PATH:SIZE");
        }
        String[] parts = value.split(",", -1);
        String store = parts[0];
        boolean readOnly = false;
        boolean writeThrough = false;
        boolean removable = false;
        for (int i = 1; i < parts.length; i++) {
            switch (parts[i].trim().toLowerCase(Locale.ROOT)) {
                case "ro" -> readOnly = true;
                case "wt" -> writeThrough = true;
                case "removable" -> removable = true;
                default -> throw new IllegalArgumentException(
                        "unknown flag '" + parts[i] + "' in '" + value + "' (known: ro, wt, removable)");
            }
        }
        BackingSpec backing;
        if (store.regionMatches(true, 0, RAM, 0, RAM.length())) {
            if (writeThrough) {
                throw new IllegalArgumentException("flag 'wt' applies to file stores only: '" + value + "'");
            }
            backing = new BackingSpec.Ram(parseBlockAlignedSize(store.substring(RAM.length()), value));
        } else if (store.regionMatches(true, 0, FILE, 0, FILE.length())) {
            backing = parseFile(store.substring(FILE.length()), writeThrough, value);
        } else {
            throw new IllegalArgumentException(
                    "unknown backing store '" + value + "'; expected ram:SIZE, file:PATH or file:PATH:SIZE");
        }
        return new ParsedLun(backing, readOnly, removable);
    }

    /**
     * A byte count with an optional binary suffix (K, M, G, T, KiB, MiB, GiB, TiB; any case).
     *
     * @throws IllegalArgumentException naming {@code text} when it is not a size or overflows
     */
    public static long parseSize(String text) {
        String s = text == null ? "" : text.trim();
        int digitsEnd = 0;
        while (digitsEnd < s.length() && Character.isDigit(s.charAt(digitsEnd))) {
            digitsEnd++;
        }
        if (digitsEnd == 0) {
            throw new IllegalArgumentException("not a size: '" + text + "' (expected e.g. 512M, 10GiB, 1048576)");
        }
        int shift = switch (s.substring(digitsEnd).toLowerCase(Locale.ROOT)) {
            case "" -> 0;
            case "k", "kib" -> 10;
            case "m", "mib" -> 20;
            case "g", "gib" -> 30;
            case "t", "tib" -> 40;
            default -> throw new IllegalArgumentException(
                    "not a size: '" + text + "' (suffixes: K, M, G, T or KiB, MiB, GiB, TiB)");
        };
        try {
            long number = Long.parseLong(s.substring(0, digitsEnd));
            if (number > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return number << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
    }

    /** The largest binary unit that divides {@code bytes} exactly: {@code 512M}, {@code 1536K}, {@code 1000}; what {@link #parseSize} reads back. */
    public static String formatSize(long bytes) {
        int unit = 0;
        long value = bytes;
        while (value != 0 && value % 1024 == 0 && unit < SIZE_UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return value + SIZE_UNITS[unit];
    }

    private static BackingSpec.File parseFile(String rest, boolean writeThrough, String value) {
        String pathText = rest;
        long size = 0;
        int lastColon = rest.lastIndexOf(':');
        if (lastColon >= 0 && looksLikeSize(rest.substring(lastColon + 1))) {
            pathText = rest.substring(0, lastColon);
            size = parseBlockAlignedSize(rest.substring(lastColon + 1), value);
        }
        if (pathText.isBlank()) {
            throw new IllegalArgumentException("missing file path in '" + value + "'");
        }
        try {
            return new BackingSpec.File(Path.of(pathText), size, writeThrough);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("invalid file path in '" + value + "': " + e.getReason());
        }
    }

    /** Digits first, then only a size suffix: such a token is meant as a size even if its value is bad. */
    private static boolean looksLikeSize(String token) {
        return !token.isEmpty() && token.matches("(?i)\\d+(k|m|g|t|kib|mib|gib|tib)?");
    }

    private static long parseBlockAlignedSize(String text, String value) {
        long size;
        try {
            size = parseSize(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " in '" + value + "'");
        }
        if (size <= 0 || size % SECTOR != 0) {
            throw new IllegalArgumentException(
                    "size must be a positive multiple of " + SECTOR + " bytes: '" + text + "' in '" + value + "'");
        }
        return size;
    }
}
