package io.jtarget.config;

import io.jtarget.backstore.BackingSpec;
import io.jtarget.backstore.Stores;
import java.util.Set;

/**
 * Parses the CLI's {@code --lun} values: a store in {@link Stores}' syntax ({@code SCHEME:...}, e.g.
 * {@code ram:512M}, {@code file:/srv/lun0.img:10G,wt}) plus the LUN flags
 *
 * <pre>
 *   ...,ro                    read-only LUN (only through {@link #parseLun})
 *   ...,removable             removable medium (only through {@link #parseLun})
 * </pre>
 */
public final class BackingSpecParser {

    static final String READ_ONLY = "ro";
    static final String REMOVABLE = "removable";

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
        Stores.Parsed parsed = Stores.parse(value, Set.of(READ_ONLY, REMOVABLE));
        return new ParsedLun(parsed.spec(), parsed.otherFlags().contains(READ_ONLY),
                parsed.otherFlags().contains(REMOVABLE));
    }

    /**
     * A byte count with an optional binary suffix (K, M, G, T, KiB, MiB, GiB, TiB; any case).
     *
     * @throws IllegalArgumentException naming {@code text} when it is not a size or overflows
     */
    public static long parseSize(String text) {
        return Stores.parseSize(text);
    }
}
