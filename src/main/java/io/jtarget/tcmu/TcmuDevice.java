package io.jtarget.tcmu;

import io.jtarget.net.CompletionQueue;
import io.jtarget.net.WatchedFd;
import io.jtarget.scsi.ItNexus;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.scsi.ScsiCommand;
import io.jtarget.scsi.ScsiResponse;
import io.jtarget.scsi.ScsiStatus;
import io.jtarget.scsi.ScsiTargetCore;
import io.jtarget.scsi.TaskAttribute;
import io.jtarget.scsi.TaskManagementFunction;
import io.jtarget.scsi.TaskManagementRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCMU device served: its command ring, the SCSI core of its one logical unit (LUN 0, one
 * I_T nexus: the kernel does not say which initiator sent a command), and the uio descriptor
 * watched by one of the server's event loops.
 *
 * <p>Threads: everything that touches the ring runs on {@link #loop}. A wake-up reads the uio
 * event count (which re-arms epoll), drains every new entry into the core, and ends with one
 * publication of the tail and at most one kick (a 4-byte write to the uio fd). Completions from
 * backend threads come back through a {@link CompletionQueue}: one loop task writes all of them
 * and kicks once (seed 002).
 *
 * <p>Data is copied once each way on the loop: Data-Out out of the ring when the command is taken,
 * Data-In into it when the command completes. The store never works on ring memory, because an
 * aborted command's store I/O may outlive its completion, after which the kernel frees the data
 * blocks (reading the store straight into the ring crashed the JVM in the guest's LUN reset test).
 *
 * <p>Lifetime: {@link #close} stops consuming, waits until every command taken off the ring has
 * its completion written, then unmaps the ring and closes the descriptor. No completion is
 * written after that, and the mapping is never released while a backing store may still write
 * into it.
 */
final class TcmuDevice {
    private static final Logger log = LoggerFactory.getLogger(TcmuDevice.class);

    private final UioDevice uio;
    private final int fd;
    private final Arena arena;
    private final MemorySegment map;
    private final CommandRing ring;
    private final ScsiTargetCore core;
    private final LogicalUnit unit;
    private final ItNexus nexus;
    private final EventLoop loop;
    private final CompletionQueue<Finished> finished;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** 4 bytes for the uio event count read and the kick write; loop only. */
    private final MemorySegment word;
    private final MemorySegment callState;
    private final RingConsumer consumer = new RingConsumer();
    private final CommandRing.Consumer refuseBusy = new CommandRing.Consumer() {
        @Override
        public void command(RingCommand command) {
            ring.complete(command.cmdId(), ScsiStatus.BUSY, null, -1);
        }

        @Override
        public void taskManagement(int tmrType, int[] cmdIds) {}
    };
    private WatchedFd watched;
    private boolean inBatch;
    /** The ring is unmapped and the descriptor closed (loop only). */
    private boolean released;
    private boolean closing;
    private boolean brokenReported;
    private long inFlight;
    private long wakeups;
    private long kicks;
    private long copiedReads;

    private record Finished(RingCommand command, ByteBuf dataOut, ScsiResponse response) {}

    private TcmuDevice(UioDevice uio, int fd, Arena arena, MemorySegment map, CommandRing ring, LogicalUnit unit,
            EventLoop loop) {
        this.uio = uio;
        this.fd = fd;
        this.arena = arena;
        this.map = map;
        this.ring = ring;
        this.unit = unit;
        this.loop = loop;
        String target = "tcmu:" + uio.deviceName();
        this.core = new ScsiTargetCore(target, List.of(unit));
        this.nexus = new ItNexus("lio:user_" + uio.hbaId() + "/" + uio.deviceName(), target + ",t,0x1", 1);
        core.addTargetPort(1, nexus.targetPort());
        core.nexusEstablished(nexus);
        this.finished = new CompletionQueue<>(loop, f -> {
            inBatch = true;
            finish(f);
        }, this::endBatch);
        this.word = arena.allocate(4, 4);
        this.callState = Posix.callState(arena);
    }

    /**
     * Serve a device whose ring is mapped: {@code map} is the whole of /dev/uioN's map0, {@code fd} its
     * open descriptor. Both pass to the device, which unmaps (by closing {@code arena}) and closes them.
     *
     * @return completes once the loop watches the descriptor and has drained what was already queued
     */
    static CompletionStage<TcmuDevice> serve(UioDevice uio, int fd, Arena arena, MemorySegment map,
            LogicalUnit unit, EventLoop loop) {
        CommandRing ring = new CommandRing(map);
        TcmuDevice device = new TcmuDevice(uio, fd, arena, map, ring, unit, loop);
        return WatchedFd.watch(loop, fd, device::onReadable).thenApply(w -> {
            device.watched = w;
            // Entries queued before the descriptor was opened raised no event for us: look once.
            loop.execute(device::drainRing);
            return device;
        });
    }

    UioDevice uio() {
        return uio;
    }

    LogicalUnit unit() {
        return unit;
    }

    ScsiTargetCore core() {
        return core;
    }

    /** The uio descriptor is readable: the kernel queued entries (or completed a reset). */
    private void onReadable() {
        wakeups++;
        // uio: reading the 4-byte event count is what makes the descriptor not readable again.
        long n = Posix.read(fd, word, callState);
        if (n < 0 && n != -Posix.EAGAIN) {
            log.warn("{}: reading the uio event count failed (errno {})", uio, -n);
        }
        drainRing();
    }

    private void drainRing() {
        if (closing) {
            return;
        }
        inBatch = true;
        try {
            ring.poll(consumer);
        } finally {
            endBatch();
        }
        if (ring.broken() && !brokenReported) {
            brokenReported = true;
            log.error("{}: the command ring is malformed ({}); no further commands are taken from it", uio,
                    ring.brokenReason());
        }
    }

    /** End of a batch: publish every completion written and kick the kernel once. */
    private void endBatch() {
        inBatch = false;
        if (arenaOpen() && ring.publish()) {
            kicks++;
            word.set(ValueLayout.JAVA_INT, 0, 1);
            long n = Posix.write(fd, word, callState);
            if (n < 0) {
                log.warn("{}: kicking the kernel failed (errno {})", uio, -n);
            }
        }
        if (closing) {
            finishClose();
        }
    }

    private boolean arenaOpen() {
        return !released;
    }

    private final class RingConsumer implements CommandRing.Consumer {
        @Override
        public void command(RingCommand command) {
            submit(command);
        }

        @Override
        public void taskManagement(int tmrType, int[] cmdIds) {
            // LIO has already decided which commands the TMF affects (SAM-5 §7: ABORT TASK, ABORT TASK SET,
            // CLEAR TASK SET, LOGICAL UNIT RESET) and waits for each to complete. Each one is aborted through
            // the core's ordered queue; its completion (TASK ABORTED) frees the kernel's command.
            log.info("{}: LIO task management (TMR type {}) aborts {} commands", uio, tmrType, cmdIds.length);
            for (int id : cmdIds) {
                core.taskManagement(new TaskManagementRequest(nexus, unit.lun(), TaskManagementFunction.ABORT_TASK, id),
                        response -> log.debug("{}: abort of command {}: {}", uio, id, response));
            }
        }
    }

    private void submit(RingCommand command) {
        inFlight++;
        ByteBuf dataOut = command.iovCount() > 0 ? copyOut(command, 0, command.iovCount()) : null;
        long expected = command.bidiCount() > 0 ? command.bidiLength() : command.dataLength();
        ScsiCommand scsi = new ScsiCommand(nexus, unit.lun(), command.cdb(), command.cmdId(), TaskAttribute.SIMPLE,
                // The ring does not say which way the data flows; the CDB does, and the core reads it from there.
                command.iovCount() == 0 ? ScsiCommand.DataDirection.NONE : ScsiCommand.DataDirection.BIDIRECTIONAL,
                (int) Math.min(expected, Integer.MAX_VALUE), dataOut, PooledByteBufAllocator.DEFAULT);
        core.submit(scsi, response -> completed(new Finished(command, dataOut, response)));
    }

    /** Any thread: a command of this device is done. */
    private void completed(Finished f) {
        if (loop.inEventLoop()) {
            boolean outer = !inBatch;
            inBatch = true;
            finish(f);
            if (outer) {
                endBatch();
            }
        } else {
            finished.post(f);
        }
    }

    /** On the loop: write one completion into the ring (published at the end of the batch). */
    private void finish(Finished f) {
        inFlight--;
        ScsiResponse response = f.response();
        ByteBuf dataIn = response.dataIn();
        try {
            if (!arenaOpen()) {
                return; // unreachable by construction (the ring is unmapped only with nothing in flight)
            }
            RingCommand command = f.command();
            if (response.aborted()) {
                ring.complete(command.cmdId(), ScsiStatus.TASK_ABORTED, null, -1);
                return;
            }
            int readLength = -1;
            if (dataIn != null && response.status() == ScsiStatus.GOOD) {
                long capacity = command.bidiCount() > 0 ? command.bidiLength() : command.dataLength();
                int produced = placeDataIn(command, dataIn);
                if (produced < capacity) {
                    readLength = produced; // the kernel reports the residual (TCMU_UFLAG_READ_LEN)
                }
            }
            ring.complete(command.cmdId(), response.status(), response.sense(), readLength);
        } finally {
            if (dataIn != null) {
                dataIn.release();
            }
            if (f.dataOut() != null) {
                f.dataOut().release();
            }
        }
    }

    /** Copy the Data-In into the command's data-in pieces; returns its length. */
    private int placeDataIn(RingCommand command, ByteBuf dataIn) {
        int first = command.bidiCount() > 0 ? command.iovCount() : 0;
        int last = command.bidiCount() > 0 ? command.iovCount() + command.bidiCount() : command.iovCount();
        copiedReads++;
        int index = dataIn.readerIndex();
        int remaining = dataIn.readableBytes();
        int placed = 0;
        for (int i = first; i < last && remaining > 0; i++) {
            int n = (int) Math.min(remaining, command.length(i));
            ByteBuffer piece = map.asSlice(command.offset(i), n).asByteBuffer();
            dataIn.getBytes(index + placed, piece);
            placed += n;
            remaining -= n;
        }
        return placed;
    }

    /**
     * The data area pieces {@code [from, to)} of a command copied into a pooled buffer. The store never
     * works on ring memory: an aborted command's I/O may outlive its completion, and once that is written
     * the kernel frees (and may unmap) the command's data blocks.
     */
    private ByteBuf copyOut(RingCommand command, int from, int to) {
        long total = 0;
        for (int i = from; i < to; i++) {
            total += command.length(i);
        }
        ByteBuf copy = PooledByteBufAllocator.DEFAULT.directBuffer((int) total);
        for (int i = from; i < to; i++) {
            copy.writeBytes(map.asSlice(command.offset(i), command.length(i)).asByteBuffer());
        }
        return copy;
    }

    /**
     * Stop taking commands; once every command taken has its completion written and published, unmap
     * the ring, close the descriptor and the logical unit's store. {@code abort}: abort the commands in
     * flight through the core first (the device is being removed).
     */
    CompletableFuture<Void> close(boolean abort) {
        loop.execute(() -> {
            if (closing) {
                return;
            }
            closing = true;
            if (watched != null) {
                watched.close();
            }
            if (abort && inFlight > 0) {
                core.nexusLost(nexus);
            }
            // Commands queued but not taken yet would wait for the kernel's cmd_time_out: answer them BUSY
            // (SAM-5 §5.3.1: the initiator retries; the next handler serves them).
            ring.poll(refuseBusy);
            finishClose();
        });
        return closed;
    }

    private void finishClose() {
        if (inFlight > 0 || released || inBatch) {
            return;
        }
        if (ring.publish()) {
            kicks++;
            word.set(ValueLayout.JAVA_INT, 0, 1);
            Posix.write(fd, word, callState);
        }
        log.info("{} closed: {}", uio, stats());
        released = true;
        try {
            core.close();
        } finally {
            arena.close();
            Posix.close(fd);
            closed.complete(null);
        }
    }

    /** Ring traffic counts since the device was opened. Loop only (or after close). */
    Stats stats() {
        return new Stats(ring.commandsConsumed(), ring.completionsWritten(), ring.tmrsConsumed(), ring.padsSkipped(),
                wakeups, kicks, copiedReads);
    }

    /** Stats, read on the device's loop. */
    CompletionStage<Stats> statsSnapshot() {
        CompletableFuture<Stats> f = new CompletableFuture<>();
        loop.execute(() -> f.complete(stats()));
        return f;
    }

    /**
     * @param commands command entries consumed
     * @param completions completions written
     * @param tmrs TMR notifications consumed
     * @param pads padding entries skipped
     * @param wakeups readiness events handled (epoll wake-ups of the uio descriptor)
     * @param kicks writes to the uio descriptor telling the kernel to reap completions
     */
    record Stats(long commands, long completions, long tmrs, long pads, long wakeups, long kicks, long copiedReads) {
        @Override
        public String toString() {
            return "commands=" + commands + " completions=" + completions + " tmrs=" + tmrs + " pads=" + pads
                    + " wakeups=" + wakeups + " kicks=" + kicks + " copied_reads=" + copiedReads;
        }
    }
}
