package io.jtarget.backstore;

import java.io.IOException;
import java.util.Set;

/**
 * One kind of backing store ({@code ram}, {@code file}, {@code rbd}): parses the text after
 * {@code SCHEME:} into its {@link BackingSpec} and opens a {@link BlockDevice} for it. Adding a store
 * kind is one class implementing this, listed in {@link Stores}.
 *
 * <p>Threads: both methods run on the thread that configures the server (startup, or the management
 * surface when a LUN is added live), never on an event loop; {@link #open} may block (opening a file,
 * connecting to a cluster).
 */
public interface StoreProvider {

    /** The scheme before the first ':', lower case, e.g. {@code file}. */
    String scheme();

    /** The shape of its text, for error messages and help, e.g. {@code file:PATH[:SIZE]}. */
    String usage();

    /** Store flags (after a ',') this kind understands, lower case, e.g. {@code wt}; LUN flags are not its business. */
    Set<String> flags();

    /**
     * @param body the text after {@code SCHEME:}
     * @param flags the store flags given, each one of {@link #flags()}
     * @param whole the whole value as the user wrote it, for error messages
     * @throws IllegalArgumentException with a one-line message that quotes {@code whole}
     */
    BackingSpec parse(String body, Set<String> flags, String whole);

    /**
     * Opens the store; the caller owns the device and closes it.
     *
     * @param spec a spec this provider parsed (its {@link BackingSpec#scheme()} is this provider's)
     * @throws IOException with a one-line message naming the store (and for a cluster, where it looked)
     *     when it cannot be opened; {@link StoreException} when the reason is typed
     */
    BlockDevice open(BackingSpec spec, StoreContext context) throws IOException;
}
