package io.jtarget.scsi;

import io.jtarget.scsi.PersistentReservations.Registration;
import io.jtarget.scsi.PersistentReservations.State;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The persistent reservation state of one logical unit on stable storage, for APTPL=1 (SPC-5
 * §5.14.5: registrations and the reservation survive a power loss).
 *
 * <p>A save writes a temporary file in the same directory, forces it to disk, renames it over the
 * state file atomically and forces the directory, so a crash leaves either the old or the new
 * state, never a torn one. The format is line-oriented text, one record a line, fields separated
 * by spaces and URL-encoded:
 *
 * <pre>
 * jtarget-pr 1
 * generation &lt;decimal&gt;
 * reservation &lt;type&gt; &lt;holder index or -1&gt;
 * registration &lt;key hex&gt; &lt;initiator name&gt; &lt;isid or -&gt; &lt;target port or -&gt; &lt;relative port id&gt;
 * </pre>
 */
public final class PrStore {
    static final String MAGIC = "jtarget-pr 1";
    private static final String NONE = "-";

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

    /** @return the persisted state (APTPL=1 by construction), or null when none was persisted */
    State load() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (lines.isEmpty() || !lines.getFirst().equals(MAGIC)) {
            throw new IOException(file + ": not a jtarget persistent reservation state file");
        }
        long generation = 0;
        int type = 0;
        int holderIndex = -1;
        List<Registration> regs = new ArrayList<>();
        try {
            for (String line : lines.subList(1, lines.size())) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "generation" -> generation = Long.parseLong(f[1]);
                    case "reservation" -> {
                        type = Integer.parseInt(f[1]);
                        holderIndex = Integer.parseInt(f[2]);
                    }
                    case "registration" -> regs.add(new Registration(
                            new TransportId(decode(f[2]), nullable(f[3])),
                            nullable(f[4]),
                            Integer.parseInt(f[5]),
                            Long.parseUnsignedLong(f[1], 16)));
                    default -> throw new IOException(file + ": unknown record '" + f[0] + "'");
                }
            }
        } catch (RuntimeException e) {
            throw new IOException(file + ": malformed state file", e);
        }
        if ((type != 0 && !PersistentReservations.validType(type)) || holderIndex >= regs.size()) {
            throw new IOException(file + ": inconsistent reservation record");
        }
        Registration holder = holderIndex >= 0 ? regs.get(holderIndex) : null;
        if (type != 0 && holder == null && !PersistentReservations.allRegistrants(type)) {
            throw new IOException(file + ": reservation without holder");
        }
        return new State(regs, type, holder, generation, true);
    }

    void save(State state) throws IOException {
        StringBuilder text = new StringBuilder(MAGIC).append('\n');
        text.append("generation ").append(state.generation()).append('\n');
        text.append("reservation ").append(state.type()).append(' ')
                .append(state.holder() == null ? -1 : state.registrations().indexOf(state.holder())).append('\n');
        for (Registration r : state.registrations()) {
            text.append("registration ")
                    .append(Long.toHexString(r.key())).append(' ')
                    .append(encode(r.initiator().initiatorName())).append(' ')
                    .append(r.initiator().isid() == null ? NONE : r.initiator().isid()).append(' ')
                    .append(r.targetPort() == null ? NONE : encode(r.targetPort())).append(' ')
                    .append(r.relativeTargetPortId()).append('\n');
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
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

    void delete() throws IOException {
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

    private static String nullable(String field) {
        return NONE.equals(field) ? null : decode(field);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
