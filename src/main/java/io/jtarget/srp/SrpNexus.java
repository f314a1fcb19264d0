package io.jtarget.srp;

import io.jtarget.registry.ServedTarget;
import io.jtarget.scsi.ItNexus;
import io.jtarget.scsi.ScsiTargetCore;
import java.util.ArrayList;
import java.util.List;

/**
 * One I_T nexus of the SRP target port (SRP-2 §4.4): an initiator port and its RDMA channels
 * (Linux opens one per CPU, the first SINGLE and the rest MULTI). The nexus exists from its first
 * channel's login until its last channel disconnects; then the SCSI core hears of its loss
 * (SAM-5 §6.3.4: its tasks are aborted, a later login gets I_T NEXUS LOSS OCCURRED).
 * Guarded by its own monitor: its channels live on different loops.
 */
final class SrpNexus {
    private final ItNexus itNexus;
    private final ServedTarget target;
    private final List<SrpChannel> channels = new ArrayList<>();
    private boolean lost;

    SrpNexus(ItNexus itNexus, ServedTarget target) {
        this.itNexus = itNexus;
        this.target = target;
    }

    ItNexus itNexus() {
        return itNexus;
    }

    ServedTarget target() {
        return target;
    }

    ScsiTargetCore core() {
        return target.core();
    }

    /** Adds a channel; false when the nexus was already lost (its last channel left meanwhile). */
    synchronized boolean add(SrpChannel channel) {
        if (lost) {
            return false;
        }
        channels.add(channel);
        return true;
    }

    /** Removes a channel; true when it was the last one and ended the nexus (once). */
    synchronized boolean remove(SrpChannel channel) {
        return channels.remove(channel) && channels.isEmpty() && end();
    }

    /**
     * Ends the nexus now, whatever channels it still has (a SINGLE login of the same port replaces
     * it: SRP-2 §5.6.2); true the first time. Its channels no longer end it when they go.
     */
    synchronized boolean end() {
        if (lost) {
            return false;
        }
        lost = true;
        return true;
    }

    synchronized List<SrpChannel> channels() {
        return List.copyOf(channels);
    }

    @Override
    public String toString() {
        return itNexus.initiatorPort();
    }
}
