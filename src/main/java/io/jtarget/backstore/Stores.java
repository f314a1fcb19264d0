package io.jtarget.backstore;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The store seam's two entry points: {@link #parse} turns {@code SCHEME:...[,flags]} text into a
 * {@link BackingSpec} through the provider of its scheme, {@link #open} opens it. Every store kind is
 * one {@link StoreProvider} in {@link #PROVIDERS}; nothing else in the server switches on the kind.
 *
 * <pre>
 *   ram:SIZE                  e.g. ram:512M
 *   file:PATH[:SIZE][,wt]     e.g. file:/srv/lun0.img:10G
 * </pre>
 *
 * SIZE is a byte count with an optional binary suffix: K, M, G, T or KiB, MiB, GiB, TiB
 * (case-insensitive, all powers of 1024); a store size must be a positive multiple of 512.
 */
public final class Stores {

    private static final long SECTOR = 512;

    /** Every store kind, by scheme. */
    private static final Map<String, StoreProvider> PROVIDERS = byScheme(List.of(new RamStore(), new FileStore()));

    private Stores() {}

    /** A parsed value: the store, and which of the caller's own (LUN) flags were given. */
    public record Parsed(BackingSpec spec, Set<String> otherFlags) {}

    /**
     * Parses {@code SCHEME:BODY[,flag...]} with store flags only.
     *
     * @throws IllegalArgumentException with a one-line message quoting {@code text}
     */
    public static BackingSpec parse(String text) {
        return parse(text, Set.of()).spec();
    }

    /**
     * Parses {@code SCHEME:BODY[,flag...]} where a flag is either the store's own or one of {@code otherFlags}
     * (lower case; e.g. the LUN flags {@code ro}, {@code removable}), which are returned, not interpreted.
     *
     * @throws IllegalArgumentException with a one-line message quoting {@code text}
     */
    public static Parsed parse(String text, Set<String> otherFlags) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty backing store '" + (text == null ? "" : text) + "'; expected "
                    + usages());
        }
        String[] parts = text.split(",", -1);
        String store = parts[0];
        int colon = store.indexOf(':');
        StoreProvider provider = colon < 0 ? null : PROVIDERS.get(store.substring(0, colon).toLowerCase(Locale.ROOT));
        if (provider == null) {
            throw new IllegalArgumentException("unknown backing store '" + text + "'; expected " + usages());
        }
        Set<String> storeFlags = new LinkedHashSet<>();
        Set<String> given = new LinkedHashSet<>();
        for (int i = 1; i < parts.length; i++) {
            String flag = parts[i].trim().toLowerCase(Locale.ROOT);
            if (provider.flags().contains(flag)) {
                storeFlags.add(flag);
            } else if (otherFlags.contains(flag)) {
                given.add(flag);
            } else {
                Set<String> known = new LinkedHashSet<>(otherFlags);
                known.addAll(provider.flags());
                throw new IllegalArgumentException("unknown flag '" + parts[i] + "' for a " + provider.scheme()
                        + " store in '" + text + "' (known: " + String.join(", ", known) + ")");
            }
        }
        BackingSpec spec = provider.parse(store.substring(colon + 1), Set.copyOf(storeFlags), text);
        return new Parsed(spec, Set.copyOf(given));
    }

    /**
     * Opens the store {@code spec} names; the caller owns the device.
     *
     * @throws IllegalArgumentException for a spec no provider knows or a bad size
     * @throws IOException with a one-line message naming the store when it cannot be opened
     */
    public static BlockDevice open(BackingSpec spec, StoreContext context) throws IOException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(context, "context");
        StoreProvider provider = PROVIDERS.get(spec.scheme());
        if (provider == null) {
            throw new IllegalArgumentException("no store provider for scheme '" + spec.scheme() + "'");
        }
        return provider.open(spec, context);
    }

    /** The schemes, e.g. for help texts: {@code ram:SIZE, file:PATH[:SIZE]}. */
    public static String usages() {
        return PROVIDERS.values().stream().map(StoreProvider::usage).collect(Collectors.joining(", "));
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

    /** A positive size in whole 512-byte sectors, for a provider's parser; messages quote {@code whole}. */
    static long blockAlignedSize(String text, String whole) {
        long size;
        try {
            size = parseSize(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " in '" + whole + "'");
        }
        if (size <= 0 || size % SECTOR != 0) {
            throw new IllegalArgumentException(
                    "size must be a positive multiple of " + SECTOR + " bytes: '" + text + "' in '" + whole + "'");
        }
        return size;
    }

    /** Checks a size given to {@link #open} (specs may be built without the parser). */
    static void requireSize(String what, long sizeBytes, boolean zeroAllowed) {
        if (sizeBytes < 0 || (sizeBytes == 0 && !zeroAllowed)) {
            throw new IllegalArgumentException("size of " + what + " must be positive: " + sizeBytes);
        }
        if (sizeBytes % BlockDevices.DEFAULT_BLOCK_SIZE != 0) {
            throw new IllegalArgumentException(
                    "size of " + what + " must be a multiple of " + BlockDevices.DEFAULT_BLOCK_SIZE + " bytes: " + sizeBytes);
        }
    }

    private static Map<String, StoreProvider> byScheme(List<StoreProvider> providers) {
        Map<String, StoreProvider> map = new LinkedHashMap<>();
        for (StoreProvider p : providers) {
            if (map.putIfAbsent(p.scheme(), p) != null) {
                throw new IllegalStateException("two store providers for scheme " + p.scheme());
            }
        }
        return Collections.unmodifiableMap(map);
    }
}
