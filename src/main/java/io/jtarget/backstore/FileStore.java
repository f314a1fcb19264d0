package io.jtarget.backstore;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * {@code file:PATH[:SIZE][,wt]} ({@link FileBlockDevice}). A path may contain ':'; the text after the last
 * ':' is taken as the size only when it looks like one (so {@code file:/mnt/a:b/x.img} is a path). A ','
 * always starts the flags, so paths with ',' cannot be given here.
 */
final class FileStore implements StoreProvider {
    static final String SCHEME = "file";
    /** Write-through: every write durable before it completes (no volatile cache, WCE=0). */
    static final String WRITE_THROUGH = "wt";

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public String usage() {
        return "file:PATH[:SIZE]";
    }

    @Override
    public Set<String> flags() {
        return Set.of(WRITE_THROUGH);
    }

    @Override
    public BackingSpec parse(String body, Set<String> flags, String whole) {
        String pathText = body;
        long size = 0;
        int lastColon = body.lastIndexOf(':');
        if (lastColon >= 0 && looksLikeSize(body.substring(lastColon + 1))) {
            pathText = body.substring(0, lastColon);
            size = Stores.blockAlignedSize(body.substring(lastColon + 1), whole);
        }
        if (pathText.isBlank()) {
            throw new IllegalArgumentException("missing file path in '" + whole + "'");
        }
        try {
            return new BackingSpec.File(Path.of(pathText), size, flags.contains(WRITE_THROUGH));
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("invalid file path in '" + whole + "': " + e.getReason());
        }
    }

    /** Digits first, then only a size suffix: such a token is meant as a size even if its value is bad. */
    private static boolean looksLikeSize(String token) {
        return !token.isEmpty() && token.matches("(?i)\\d+(k|m|g|t|kib|mib|gib|tib)?");
    }

    @Override
    public BlockDevice open(BackingSpec spec, StoreContext context) throws IOException {
        BackingSpec.File file = (BackingSpec.File) spec;
        Objects.requireNonNull(file.path(), "file path");
        Stores.requireSize(file.path().toString(), file.sizeBytes(), true);
        return FileBlockDevice.open(file.path(), file.sizeBytes(), BlockDevices.DEFAULT_BLOCK_SIZE,
                file.writeThrough(), context.dispatcher());
    }
}
