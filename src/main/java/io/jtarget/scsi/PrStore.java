package io.jtarget.scsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The persistent reservation state of one logical unit in a file of the state directory, for APTPL=1
 * (SPC-5 §5.14.5: registrations and the reservation survive a power loss); the content is
 * {@link ReservationStateFormat}'s.
 *
 * <p>A save writes a temporary file in the same directory, forces it to disk, renames it over the
 * state file atomically and forces the directory, so a crash leaves either the old or the new
 * state, never a torn one.
 */
public final class PrStore implements ReservationStore {

    private final Path file;

    public PrStore(Path file) {
        this.file = file;
    }

    /** The state file of the logical unit with {@code serial} under {@code stateDir}. */
    public static PrStore forLogicalUnit(Path stateDir, String serial) {
        return new PrStore(stateDir.resolve("pr-" + serial.replaceAll("[^A-Za-z0-9._-]", "_") + ".state"));
    }

    Path file() {
        return file;
    }

    @Override
    public byte[] load() throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void save(byte[] state) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(state);
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        forceDirectory(dir);
    }

    @Override
    public void delete() throws IOException {
        if (Files.deleteIfExists(file)) {
            forceDirectory(file.toAbsolutePath().getParent());
        }
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms (not Linux) cannot open a directory for fsync; the rename is still atomic.
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                return;
            }
            throw e;
        }
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
