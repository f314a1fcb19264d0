package io.jtarget.scsi;

import io.jtarget.backstore.BlockDevice;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One logical unit: a block device plus its SCSI state (mode pages, unit attentions, task set).
 *
 * <p>All state is safe for concurrent use from several fabric threads and backend threads; each
 * piece has its own small lock-free or per-object synchronisation (no LU-wide lock).
 */
public final class LogicalUnit {
    /** Largest single READ/WRITE/VERIFY we accept; reported in the Block Limits VPD page (SBC-4 §6.6.4). */
    static final int MAX_TRANSFER_BYTES = 8 * 1024 * 1024;

    /** SBC-4 §4.20 / §5.27: the medium state START STOP UNIT moves between. */
    enum MediumState {
        READY,
        /** Stopped power condition: media access needs START STOP UNIT with START=1. */
        STOPPED,
        /** Removable medium ejected (LOEJ=1, START=0). */
        EJECTED
    }

    private final int lun;
    private final BlockDevice device;
    private final boolean readOnly;
    private final String serial;
    private final boolean removable;

    private final AtomicReference<ModeParameters> modeParameters;
    private final AtomicReference<MediumState> mediumState = new AtomicReference<>(MediumState.READY);
    /** I_T nexuses that hold a PREVENT ALLOW MEDIUM REMOVAL prevention (SBC-4 §5.15). */
    private final Set<ItNexus> preventingRemoval = ConcurrentHashMap.newKeySet();
    private final UnitAttentions unitAttentions = new UnitAttentions();
    private final TaskSet taskSet = new TaskSet();
    private final PersistentReservations reservations = new PersistentReservations(unitAttentions);
    private volatile Map<Integer, String> targetPorts = Map.of();
    private final LbaRangeLock rangeLock = new LbaRangeLock();
    /** A SANITIZE is running (SBC-4 §4.11.3: medium access is NOT READY, SANITIZE IN PROGRESS meanwhile). */
    private final AtomicInteger sanitizing = new AtomicInteger();
    private volatile int sanitizeProgress;
    private volatile SanitizeFailure sanitizeFailure = SanitizeFailure.NONE;

    /**
     * SBC-4 §4.11: after a failed sanitize the medium stays inaccessible until a sanitize completes
     * without error or, if the failed one had AUSE=1 (unrestricted), EXIT FAILURE MODE is sent.
     */
    enum SanitizeFailure {
        NONE,
        /** Failed with AUSE=0: only a successful sanitize leaves the state. */
        RESTRICTED,
        /** Failed with AUSE=1: EXIT FAILURE MODE leaves it too. */
        UNRESTRICTED
    }

    /**
     * @param serial a stable identifier of this LU, unique per server: unit serial number (VPD 80h)
     *     and the seed of its NAA designator (VPD 83h); derive it from target name + LUN + backing
     *     so it survives restarts.
     */
    public LogicalUnit(int lun, BlockDevice device, boolean readOnly, String serial) {
        this(lun, device, readOnly, serial, false);
    }

    /**
     * @param removable report a removable medium (INQUIRY RMB=1): START STOP UNIT with LOEJ ejects and
     *     loads it, PREVENT ALLOW MEDIUM REMOVAL guards it
     */
    public LogicalUnit(int lun, BlockDevice device, boolean readOnly, String serial, boolean removable) {
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("LUN out of range 0..16383: " + lun);
        }
        this.lun = lun;
        this.device = device;
        this.readOnly = readOnly;
        this.serial = serial;
        this.removable = removable;
        this.modeParameters = new AtomicReference<>(defaultModeParameters());
        // SBC-4 §4.6: a store resized behind our back is announced to every I_T nexus.
        device.addCapacityListener(blocks -> unitAttentions.raiseAll(SenseReason.CAPACITY_DATA_HAS_CHANGED));
    }

    public int lun() {
        return lun;
    }

    public BlockDevice device() {
        return device;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public String serial() {
        return serial;
    }

    public boolean removable() {
        return removable;
    }

    ModeParameters modeParameters() {
        return modeParameters.get();
    }

    ModeParameters defaultModeParameters() {
        return ModeParameters.defaults(device.writeCacheEnabled());
    }

    /** WCE can only be changed when the device has a volatile cache to switch off. */
    boolean writeCacheChangeable() {
        return device.writeCacheEnabled();
    }

    /** @return true if the parameters changed (a MODE SELECT that set the same values returns false) */
    boolean replaceModeParameters(ModeParameters expected, ModeParameters updated) {
        return !expected.equals(updated) && modeParameters.compareAndSet(expected, updated);
    }

    /** WP in the mode parameter header (SBC-4 §6.5.1): configured read-only, or SWP set. */
    boolean writeProtected() {
        return readOnly || modeParameters.get().softwareWriteProtect();
    }

    /**
     * Writes are forced to stable storage when the application client turned WCE off on a device
     * that has a volatile cache (SBC-4 §6.5.5: WCE=0 means every write completes only once on medium).
     */
    boolean forceUnitAccess(boolean fuaBit) {
        return fuaBit || (device.writeCacheEnabled() && !modeParameters.get().writeCacheEnabled());
    }

    MediumState mediumState() {
        return mediumState.get();
    }

    void mediumState(MediumState state) {
        mediumState.set(state);
    }

    boolean removalPrevented() {
        return !preventingRemoval.isEmpty();
    }

    void preventRemoval(ItNexus nexus, boolean prevent) {
        if (prevent) {
            preventingRemoval.add(nexus);
        } else {
            preventingRemoval.remove(nexus);
        }
    }

    int maxTransferBlocks() {
        return Math.max(1, MAX_TRANSFER_BYTES / device.blockSize());
    }

    UnitAttentions unitAttentions() {
        return unitAttentions;
    }

    TaskSet taskSet() {
        return taskSet;
    }

    /** The target's ports by relative target port identifier (REPORT TARGET PORT GROUPS, REGISTER AND MOVE). */
    Map<Integer, String> targetPorts() {
        return targetPorts;
    }

    void targetPorts(Map<Integer, String> ports) {
        this.targetPorts = ports;
        reservations.targetPorts(ports::get);
    }

    PersistentReservations reservations() {
        return reservations;
    }

    /**
     * Keep persistent reservation state with APTPL=1 in {@code store} (SPC-5 §5.14.5) and restore what
     * an earlier run persisted there.
     */
    public void persistReservationsIn(ReservationStore store) throws java.io.IOException {
        reservations.attachStore(store);
    }

    /** Held by every medium access for its LBA range (COMPARE AND WRITE atomicity, SBC-4 §5.3). */
    LbaRangeLock rangeLock() {
        return rangeLock;
    }

    boolean sanitizing() {
        return sanitizing.get() > 0;
    }

    SanitizeFailure sanitizeFailure() {
        return sanitizeFailure;
    }

    void sanitizeFailure(SanitizeFailure failure) {
        this.sanitizeFailure = failure;
    }

    /** How far the running sanitize is, as a fraction of 65536 (SPC-5 §4.4.2.4 PROGRESS INDICATION). */
    int sanitizeProgress() {
        return sanitizeProgress;
    }

    void sanitizeProgress(int fractionOf65536) {
        this.sanitizeProgress = Math.max(0, Math.min(0xFFFF, fractionOf65536));
    }

    void sanitizing(boolean started) {
        if (started) {
            sanitizing.incrementAndGet();
        } else {
            sanitizing.decrementAndGet();
        }
    }

    /** Thin provisioned (SBC-4 §4.7.3): the device deallocates, so UNMAP and friends exist and LBPME=1. */
    boolean thinProvisioned() {
        return device.capabilities().contains(io.jtarget.backstore.BlockDevice.Capability.DEALLOCATE);
    }

    /** SAM-5 §6.3.3 logical unit reset, apart from aborting tasks: mode pages to their defaults, no preventions. */
    void resetState() {
        modeParameters.set(defaultModeParameters());
        preventingRemoval.clear();
        // SPC-2 §5.5.1: a reset releases a RESERVE reservation; persistent reservations survive it.
        reservations.releaseSpc2(n -> true);
    }

    /** SBC-4 §5.15: a prevention ends with the I_T nexus that established it. */
    void nexusLost(ItNexus nexus) {
        preventingRemoval.remove(nexus);
        // SPC-2 §5.5.1: an I_T nexus loss releases that nexus' RESERVE reservation.
        reservations.releaseSpc2(nexus::equals);
        unitAttentions.forget(nexus);
    }
}
