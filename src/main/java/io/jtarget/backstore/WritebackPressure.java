package io.jtarget.backstore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a buffered write into the page cache is, right now, unlikely to wait for the kernel, so
 * that a small write may run on the calling network thread instead of being handed to a backend
 * thread and its completion handed back (two wake-ups per I/O; see {@link InlineWrites}).
 *
 * <p>A buffered write waits when the kernel throttles the writer ({@code balance_dirty_pages}:
 * once dirty plus writeback pages pass the midpoint between the background and the hard dirty
 * threshold) or when allocating page-cache pages needs direct reclaim. {@code RWF_NOWAIT} would
 * say so per call, but ext4 refuses it for buffered writes ({@code EOPNOTSUPP}, Linux 6.x), so
 * this samples {@code /proc/vmstat} instead, at most every {@link #SAMPLE_INTERVAL_NANOS}, on the
 * thread that asks: pressure is low while dirty plus writeback pages stay below half the
 * background threshold (a quarter of the way to throttling and before the flusher even starts)
 * and no direct reclaim stall happened since the previous sample.
 *
 * <p>In a cgroup v2 with a memory limit the kernel also throttles per memory cgroup, so the
 * group's own {@code file_dirty + file_writeback} must stay below half of
 * {@code dirty_background_ratio} of its limit as well.
 *
 * <p>Where {@code /proc/vmstat} cannot be read (not Linux) pressure is never low: every write goes
 * to the backend pool, as before.
 */
public final class WritebackPressure {
    private static final Logger LOG = LoggerFactory.getLogger(WritebackPressure.class);

    /** How old a sample may be: dirty memory cannot grow from half the background threshold to throttling in this time. */
    static final long SAMPLE_INTERVAL_NANOS = 20_000_000L;
    private static final Path VMSTAT = Path.of("/proc/vmstat");

    /** Reads the counters; null when unavailable. */
    interface Source {
        /** {@code /proc/vmstat} lines. */
        List<String> vmstat() throws IOException;

        /** The memory cgroup's limit in bytes, or -1 when there is none (or no cgroup v2). */
        long cgroupMemoryLimit();

        /** The memory cgroup's {@code memory.stat} lines (only asked for when it has a limit). */
        List<String> cgroupMemoryStat() throws IOException;

        /** {@code /proc/sys/vm/dirty_background_ratio}, or 10 when unknown or set in bytes. */
        int dirtyBackgroundRatio();
    }

    private static final WritebackPressure SYSTEM = new WritebackPressure(LinuxSource.detect(), System::nanoTime);

    private final Source source;
    private final LongSupplier clock;
    private final AtomicBoolean sampling = new AtomicBoolean();
    private volatile boolean low;
    private volatile long sampledAt;
    private volatile boolean unavailable;
    private long lastDirectReclaimStalls = -1;

    WritebackPressure(Source source, LongSupplier clock) {
        this.source = source;
        this.clock = clock;
        this.unavailable = source == null;
        this.sampledAt = clock.getAsLong() - SAMPLE_INTERVAL_NANOS - 1;
    }

    /** The machine's pressure, shared by every device of the process. */
    public static WritebackPressure system() {
        return SYSTEM;
    }

    /**
     * True when buffered writes are unlikely to wait right now. Cheap: a volatile read, plus a
     * new sample (one procfs read, tens of microseconds) by one caller every
     * {@link #SAMPLE_INTERVAL_NANOS}.
     */
    public boolean low() {
        if (unavailable) {
            return false;
        }
        if (clock.getAsLong() - sampledAt > SAMPLE_INTERVAL_NANOS && sampling.compareAndSet(false, true)) {
            try {
                sample();
            } finally {
                sampling.set(false);
            }
        }
        return low;
    }

    private void sample() {
        try {
            Counters c = Counters.parse(source.vmstat());
            boolean reclaimed = lastDirectReclaimStalls >= 0 && c.directReclaimStalls != lastDirectReclaimStalls;
            lastDirectReclaimStalls = c.directReclaimStalls;
            boolean systemLow = c.backgroundThreshold > 0 && c.dirty + c.writeback < c.backgroundThreshold / 2;
            low = systemLow && !reclaimed && cgroupLow();
        } catch (IOException | RuntimeException e) {
            LOG.info("cannot read writeback counters ({}); small writes always go to the backend pool", e.toString());
            unavailable = true;
            low = false;
        }
        sampledAt = clock.getAsLong();
    }

    private boolean cgroupLow() throws IOException {
        long limit = source.cgroupMemoryLimit();
        if (limit < 0) {
            return true;
        }
        long dirtyBytes = 0;
        for (String line : source.cgroupMemoryStat()) {
            if (line.startsWith("file_dirty ") || line.startsWith("file_writeback ")) {
                dirtyBytes += Long.parseLong(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        long backgroundBytes = limit / 100 * source.dirtyBackgroundRatio();
        return dirtyBytes < backgroundBytes / 2;
    }

    /** The {@code /proc/vmstat} figures used, in pages. */
    record Counters(long dirty, long writeback, long backgroundThreshold, long directReclaimStalls) {
        static Counters parse(List<String> lines) throws IOException {
            long dirty = -1;
            long writeback = -1;
            long background = -1;
            long stalls = 0;
            for (String line : lines) {
                int space = line.indexOf(' ');
                if (space < 0) {
                    continue;
                }
                String name = line.substring(0, space);
                switch (name) {
                    case "nr_dirty" -> dirty = value(line, space);
                    case "nr_writeback" -> writeback = value(line, space);
                    case "nr_dirty_background_threshold" -> background = value(line, space);
                    default -> {
                        // allocstall_dma, allocstall_normal, ...: a task stalled in direct reclaim.
                        if (name.startsWith("allocstall")) {
                            stalls += value(line, space);
                        }
                    }
                }
            }
            if (dirty < 0 || writeback < 0 || background < 0) {
                throw new IOException("/proc/vmstat lacks nr_dirty, nr_writeback or nr_dirty_background_threshold");
            }
            return new Counters(dirty, writeback, background, stalls);
        }

        private static long value(String line, int space) {
            return Long.parseLong(line.substring(space + 1).trim());
        }
    }

    /** procfs and cgroup v2 files of this process. */
    private record LinuxSource(Path cgroupDir, int dirtyBackgroundRatio) implements Source {
        static Source detect() {
            if (!Files.isReadable(VMSTAT)) {
                return null;
            }
            return new LinuxSource(cgroupV2Dir(), readBackgroundRatio());
        }

        @Override
        public List<String> vmstat() throws IOException {
            return Files.readAllLines(VMSTAT);
        }

        @Override
        public long cgroupMemoryLimit() {
            if (cgroupDir == null) {
                return -1;
            }
            try {
                String max = Files.readString(cgroupDir.resolve("memory.max")).trim();
                return max.equals("max") ? -1 : Long.parseLong(max);
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
        }

        @Override
        public List<String> cgroupMemoryStat() throws IOException {
            return Files.readAllLines(cgroupDir.resolve("memory.stat"));
        }

        /** The unified hierarchy's directory of this process ({@code 0::/path} in /proc/self/cgroup). */
        private static Path cgroupV2Dir() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                    if (line.startsWith("0::")) {
                        Path dir = Path.of("/sys/fs/cgroup", line.substring(3));
                        return Files.isReadable(dir.resolve("memory.max")) ? dir : null;
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("no cgroup v2 memory controller: {}", e.toString());
            }
            return null;
        }

        private static int readBackgroundRatio() {
            try {
                int ratio = Integer.parseInt(Files.readString(Path.of("/proc/sys/vm/dirty_background_ratio")).trim());
                return ratio > 0 ? ratio : 10;
            } catch (IOException | NumberFormatException e) {
                return 10;
            }
        }
    }
}
