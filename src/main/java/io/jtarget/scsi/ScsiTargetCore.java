package io.jtarget.scsi;

import io.jtarget.config.IscsiNameFolding;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fabric-independent SCSI target: the LUN map of one target and the command pipeline
 * (unit attention → reservations → execute) in front of each logical unit. Fabrics (iSCSI
 * today, others later) talk to it only through this class and the callbacks they pass.
 *
 * <p>Pipeline order for a command: LUN lookup → the LU's ordered task queue (task attributes, TMFs;
 * see {@link TaskSet}) → unit attention (SPC-5 §5.14) → operation code → CONTROL byte → reservations
 * (one table, {@link ReservationTable}) → medium state (SBC-4 §4.20) → write protection (SBC-4
 * §4.12) → the command's own CDB checks and execution. ALUA is implicit with one active/optimized
 * target port group, so it never refuses a command.
 *
 * <p>Thread-safety: every method may be called from any fabric thread (each connection's
 * event loop); completions may run on any thread.
 */
public final class ScsiTargetCore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScsiTargetCore.class);

    private final String targetName;
    /**
     * The LUN map, replaced whole on every change: the per-command lookup is one volatile read and a
     * hash lookup, with no lock (changes are rare and serialised by this core's monitor).
     */
    private volatile LunMap luns;
    private final SpcCommands spc;
    private final CommandTable commands;
    private final CopyTargets copyTargets;
    /** I_T nexuses that were lost; their next establishment reports I_T NEXUS LOSS OCCURRED. */
    /**
     * Nexuses lost lately: one that comes back is told I_T NEXUS LOSS OCCURRED (SAM-5 §6.3.4).
     * Bounded, oldest forgotten first, so that initiators that never return (a new ISID for every
     * session of a monitoring probe) cannot grow it without end; a forgotten one that does return
     * is told POWER ON, RESET, OR BUS DEVICE RESET OCCURRED, which also says its state is gone.
     */
    private final Set<ItNexus> lostNexuses = Collections.synchronizedSet(Collections.newSetFromMap(
            new LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<ItNexus, Boolean> eldest) {
                    return size() > LOST_NEXUSES_REMEMBERED;
                }
            }));
    /** How many lost nexuses {@link #lostNexuses} remembers. */
    static final int LOST_NEXUSES_REMEMBERED = 4096;
    /** I_T nexuses established and not lost: the ones a LU added later must tell about itself. */
    private final Set<ItNexus> nexuses = ConcurrentHashMap.newKeySet();
    /** The target's ports by relative target port identifier (SAM-5 §4.7: one per iSCSI portal group). */
    private final Map<Integer, String> targetPorts = new java.util.concurrent.ConcurrentSkipListMap<>();
    /** {@link #initialUnitAttention}, bound once so the per-command unit attention check allocates nothing. */
    private final Function<ItNexus, SenseReason> initialUnitAttention = this::initialUnitAttention;

    /**
     * The logical units by LUN, ascending; immutable but for the cache of per-nexus views.
     *
     * @param masks LUN masking (LIO's mapped LUNs): folded initiator name → the LUNs it sees; an
     *     initiator not listed sees every LUN. Empty for most targets, and then never consulted
     * @param views per I_T nexus, the map its initiator sees (only when {@code masks} is not empty)
     */
    private record LunMap(List<LogicalUnit> units, Map<Integer, LogicalUnit> byLun, int[] numbers,
            Map<String, Set<Integer>> masks, ConcurrentHashMap<ItNexus, LunMap> views) {
        static LunMap of(String targetName, List<LogicalUnit> logicalUnits) {
            return of(targetName, logicalUnits, Map.of());
        }

        /** The map the nexus sees: itself without masks, else the restriction to its initiator's LUNs. */
        LunMap seenBy(ItNexus nexus) {
            return masks.isEmpty() ? this : views.computeIfAbsent(nexus, this::restrictedTo);
        }

        private LunMap restrictedTo(ItNexus nexus) {
            Set<Integer> visible = masks.get(IscsiNameFolding.fold(TransportId.of(nexus).initiatorName()));
            if (visible == null) {
                return new LunMap(units, byLun, numbers, Map.of(), new ConcurrentHashMap<>());
            }
            return of("", units.stream().filter(lu -> visible.contains(lu.lun())).toList(), Map.of());
        }

        static LunMap of(String targetName, List<LogicalUnit> logicalUnits, Map<String, Set<Integer>> masks) {
            List<LogicalUnit> sorted = new ArrayList<>(logicalUnits);
            sorted.sort(Comparator.comparingInt(LogicalUnit::lun));
            Map<Integer, LogicalUnit> map = new HashMap<>();
            for (LogicalUnit lu : sorted) {
                if (map.putIfAbsent(lu.lun(), lu) != null) {
                    throw new IllegalArgumentException("duplicate LUN " + lu.lun() + " in target " + targetName);
                }
            }
            return new LunMap(List.copyOf(sorted), Map.copyOf(map), sorted.stream().mapToInt(LogicalUnit::lun).toArray(),
                    Map.copyOf(masks), new ConcurrentHashMap<>());
        }
    }

    /** A target whose LUs are copy targets of EXTENDED COPY only among themselves. */
    public ScsiTargetCore(String targetName, List<LogicalUnit> logicalUnits) {
        this(targetName, logicalUnits, new CopyTargets());
    }

    /**
     * @param copyTargets the LUs EXTENDED COPY can reach, shared by every core of one server; this
     *     core registers its LUs there
     */
    public ScsiTargetCore(String targetName, List<LogicalUnit> logicalUnits, CopyTargets copyTargets) {
        this.targetName = targetName;
        this.copyTargets = copyTargets;
        this.luns = LunMap.of(targetName, logicalUnits);
        this.spc = new SpcCommands(targetName, nexus -> luns.seenBy(nexus).numbers().clone());
        this.commands = new CommandTable(spc);
        for (LogicalUnit lu : luns.units()) {
            attach(lu);
        }
    }

    private void attach(LogicalUnit lu) {
        lu.targetPorts(targetPorts);
        lu.taskSet().starter(task -> startWaiting(task, lu));
        lu.copyTargets(copyTargets);
        copyTargets.register(lu);
    }

    /**
     * Serve a new logical unit. Every I_T nexus of the target learns of it through REPORTED LUNS DATA
     * HAS CHANGED (SPC-5 §6.33), established on the new LU itself: commands to the LUs that did not
     * change are not interrupted by a unit attention (a Linux initiator rescans on seeing it from any LU).
     *
     * @throws IllegalArgumentException when the LUN is taken
     */
    public synchronized void addLogicalUnit(LogicalUnit lu) {
        LunMap current = luns;
        if (current.byLun().containsKey(lu.lun())) {
            throw new IllegalArgumentException("LUN " + lu.lun() + " already exists in target " + targetName);
        }
        List<LogicalUnit> units = new ArrayList<>(current.units());
        units.add(lu);
        LunMap next = LunMap.of(targetName, units, current.masks());
        attach(lu);
        for (ItNexus nexus : nexuses) {
            lu.unitAttentions().register(nexus, SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
        }
        luns = next;
        LOG.info("target {}: LUN {} added ({})", targetName, lu.lun(), lu.device().describe());
    }

    /**
     * Stop serving a logical unit: from now on its LUN answers LOGICAL UNIT NOT SUPPORTED, the commands
     * it had already admitted run to their end (or until {@link #abortTasks} aborts them), and every
     * I_T nexus is told through REPORTED LUNS DATA HAS CHANGED on the LUs that remain (SPC-5 §6.33). The
     * device stays open: its owner closes it once the returned future completes.
     *
     * @return completes, on the thread that ended the LU's last task, once no task of the LU is left
     * @throws IllegalArgumentException when there is no such LUN
     */
    public synchronized CompletableFuture<LogicalUnit> removeLogicalUnit(int lun) {
        LunMap current = luns;
        LogicalUnit lu = current.byLun().get(lun);
        if (lu == null) {
            throw new IllegalArgumentException("no LUN " + lun + " in target " + targetName);
        }
        List<LogicalUnit> units = new ArrayList<>(current.units());
        units.remove(lu);
        luns = LunMap.of(targetName, units, current.masks());
        copyTargets.unregister(lu);
        CompletableFuture<LogicalUnit> drained = new CompletableFuture<>();
        // After the map swap no new lookup finds the LU; a submit that found it just before is refused
        // by the retired task set, so the task set's end is the LU's last command.
        lu.taskSet().retire(() -> drained.complete(lu));
        for (LogicalUnit other : units) {
            other.unitAttentions().raiseAll(SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
        }
        LOG.info("target {}: LUN {} removed; draining {} outstanding command(s)", targetName, lun,
                lu.taskSet().size());
        return drained;
    }

    /**
     * Abort every task of {@code lu} (a removal that may not wait longer); their completions are delivered
     * as aborted, each exactly once, as for a task management function.
     */
    public void abortTasks(LogicalUnit lu) {
        AbortBarrier barrier = new AbortBarrier(() -> {});
        for (ScsiTask task : lu.taskSet().matching(n -> true)) {
            barrier.abort(task);
        }
        barrier.arm();
    }

    /**
     * Replace the LUN masking (LIO's mapped LUNs): {@code masks} maps an initiator name to the LUNs
     * it sees; initiators not listed see every LUN. An I_T nexus whose view changed is told through
     * REPORTED LUNS DATA HAS CHANGED (SPC-5 §6.33) on each LU it now sees.
     */
    public synchronized void lunMasks(Map<String, Set<Integer>> masks) {
        Map<String, Set<Integer>> folded = new HashMap<>();
        masks.forEach((name, set) -> folded.put(IscsiNameFolding.fold(name), Set.copyOf(set)));
        LunMap before = luns;
        if (before.masks().equals(folded)) {
            return;
        }
        LunMap next = LunMap.of(targetName, before.units(), folded);
        luns = next;
        for (ItNexus nexus : nexuses) {
            LunMap seen = next.seenBy(nexus);
            if (!java.util.Arrays.equals(before.seenBy(nexus).numbers(), seen.numbers())) {
                for (LogicalUnit lu : seen.units()) {
                    lu.unitAttentions().raise(nexus, SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED);
                }
            }
        }
    }

    /** The LU's capacity changed (a resize): CAPACITY DATA HAS CHANGED to every I_T nexus (SBC-4 §4.6). */
    public void capacityChanged(LogicalUnit lu) {
        lu.unitAttentions().raiseAll(SenseReason.CAPACITY_DATA_HAS_CHANGED);
        LOG.info("target {}: LUN {} now has {} blocks", targetName, lu.lun(), lu.device().blockCount());
    }

    /** Commands of the LU still in its task set (admitted and not yet ended). */
    public int outstandingCommands(LogicalUnit lu) {
        return lu.taskSet().size();
    }

    /** Declare a target port (the fabric calls this for every portal group it serves the target on). */
    public void addTargetPort(int relativeTargetPortId, String name) {
        targetPorts.put(relativeTargetPortId, name);
    }

    /** Execute one command; {@code done} is called exactly once. */
    public void submit(ScsiCommand command, ScsiCompletion done) {
        LogicalUnit lu = luns.seenBy(command.nexus()).byLun().get(command.lun());
        ScsiTask task = new ScsiTask(command, lu, done);
        try {
            if (command.cdb() == null || command.cdb().length == 0) {
                task.fail(SenseReason.INVALID_COMMAND_OPERATION_CODE);
            } else if (lu == null) {
                noLogicalUnit(task);
            } else {
                switch (lu.taskSet().admit(task)) {
                    // Not in the task set, so completing it cannot disturb the task holding the tag.
                    case OVERLAPPED -> task.fail(SenseReason.OVERLAPPED_COMMANDS_ATTEMPTED);
                    case START -> execute(task, lu);
                    case WAIT -> {} // the task set starts it when the tasks it waits for have ended
                    // Removed between the lookup and the admission: answered as if never found.
                    case RETIRED -> noLogicalUnit(new ScsiTask(command, null, done));
                }
            }
        } catch (RuntimeException e) {
            internalFailure(task, e);
        }
    }

    /** A command that threw: logged, and ended with INTERNAL TARGET FAILURE unless it already ended. */
    private static void internalFailure(ScsiTask task, RuntimeException e) {
        LOG.error("command {} failed on LUN {}", task.command().opcode(), task.command().lun(), e);
        if (!task.isDone()) {
            task.fail(SenseReason.INTERNAL_TARGET_FAILURE);
        }
    }

    /** SPC-5 §4.6.3 / §6.7.2: only INQUIRY, REPORT LUNS and REQUEST SENSE answer for a missing LU. */
    private void noLogicalUnit(ScsiTask task) {
        switch (task.command().opcode()) {
            case ScsiOpcode.INQUIRY -> spc.inquiry(task);
            case ScsiOpcode.REPORT_LUNS -> spc.reportLuns(task);
            case ScsiOpcode.REQUEST_SENSE -> spc.requestSense(task);
            default -> task.fail(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED);
        }
    }

    /** A task that waited in the task set (behind ORDERED, HEAD OF QUEUE or a TMF) may now run. */
    private void startWaiting(ScsiTask task, LogicalUnit lu) {
        try {
            execute(task, lu);
        } catch (RuntimeException e) {
            internalFailure(task, e);
        }
    }

    private void execute(ScsiTask task, LogicalUnit lu) {
        if (!task.isRunning()) {
            // Aborted while it was being started: deliver the aborted completion, run nothing.
            task.complete(ScsiResponse.good(null, 0));
            return;
        }
        ScsiCommand command = task.command();
        int opcode = command.opcode();
        // The nexus is normally registered by nexusEstablished; when it is not, it is registered here
        // and the lost-nexus lookup is paid only then.
        if (reportsUnitAttention(opcode)) {
            SenseReason ua = lu.unitAttentions().take(command.nexus(), initialUnitAttention);
            if (ua != null) {
                if (LOG.isDebugEnabled()) {
                    LOG.debug("unit attention {} reported to {} on LUN {}", ua, command.nexus(), lu.lun());
                }
                task.fail(ua);
                return;
            }
        } else if (!lu.unitAttentions().isRegistered(command.nexus())) {
            lu.unitAttentions().register(command.nexus(), initialUnitAttention(command.nexus()));
        }
        CommandDescriptor descriptor = commands.lookup(command.cdb());
        if (descriptor == null) {
            task.fail(SenseReason.INVALID_COMMAND_OPERATION_CODE);
            return;
        }
        if (!descriptor.availableOn(lu)) {
            if (descriptor.hasServiceAction()) {
                // A service action this LU does not offer, of an opcode it has (SPC-5 §4.2.5.1): the
                // same answer as an unknown service action.
                task.failCdbField(SenseReason.INVALID_FIELD_IN_CDB, CommandTable.SERVICE_ACTION_BYTE,
                        CommandTable.SERVICE_ACTION_BIT);
            } else {
                task.fail(SenseReason.INVALID_COMMAND_OPERATION_CODE);
            }
            return;
        }
        int cdbLength = Cdb.length(opcode);
        if (command.cdb().length < cdbLength
                || Cdb.nacaSet(command.cdb(), cdbLength)
                // NormACA=0: neither NACA=1 nor the ACA attribute can be honoured (SAM-5 §5.9; LIO
                // answers the ACA attribute the same way).
                || command.attribute() == TaskAttribute.ACA) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        // SAM-5 §5.3.1 / SPC-5 §5.14.3: one table decides which commands a reservation blocks.
        if (lu.reservations().conflicts(command.nexus(), command.cdb())) {
            task.reservationConflict();
            return;
        }
        // SBC-4 §4.11.3: while a sanitize runs, only commands that report on the device are served.
        if (lu.sanitizing() && !allowedDuringSanitize(opcode)) {
            task.fail(SenseReason.NOT_READY_SANITIZE_IN_PROGRESS);
            return;
        }
        if (descriptor.access() != CommandDescriptor.MediumAccess.NONE && opcode != ScsiOpcode.SANITIZE
                && lu.sanitizeFailure() != LogicalUnit.SanitizeFailure.NONE) {
            task.fail(SenseReason.SANITIZE_COMMAND_FAILED);
            return;
        }
        if (descriptor.access() != CommandDescriptor.MediumAccess.NONE) {
            switch (lu.mediumState()) {
                case STOPPED -> {
                    task.fail(SenseReason.NOT_READY_INITIALIZING_COMMAND_REQUIRED);
                    return;
                }
                case EJECTED -> {
                    task.fail(SenseReason.MEDIUM_NOT_PRESENT);
                    return;
                }
                case READY -> {}
            }
        }
        if (descriptor.access() == CommandDescriptor.MediumAccess.WRITE && lu.writeProtected()) {
            task.fail(SenseReason.WRITE_PROTECTED);
            return;
        }
        descriptor.executor().execute(task);
    }

    /** INQUIRY, REPORT LUNS, REQUEST SENSE and the MAINTENANCE IN reports (RSOC, RSTMF, RTPG). */
    private static boolean allowedDuringSanitize(int opcode) {
        return opcode == ScsiOpcode.INQUIRY || opcode == ScsiOpcode.REPORT_LUNS || opcode == ScsiOpcode.REQUEST_SENSE
                || opcode == ScsiOpcode.MAINTENANCE_IN;
    }

    /** SPC-5 §5.14: INQUIRY, REPORT LUNS and REQUEST SENSE neither report nor clear a unit attention. */
    private static boolean reportsUnitAttention(int opcode) {
        return opcode != ScsiOpcode.INQUIRY && opcode != ScsiOpcode.REPORT_LUNS && opcode != ScsiOpcode.REQUEST_SENSE;
    }

    private SenseReason initialUnitAttention(ItNexus nexus) {
        return lostNexuses.contains(nexus)
                ? SenseReason.I_T_NEXUS_LOSS_OCCURRED
                : SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET;
    }

    /**
     * Run a task management function. {@code done} is called once every task it affects has
     * been aborted (their completions have been delivered with {@code aborted=true} or
     * {@code TASK ABORTED} status), so the fabric can answer the TMF after them.
     */
    public void taskManagement(TaskManagementRequest request, Consumer<TaskManagementResponse> done) {
        boolean targetWide = request.function() == TaskManagementFunction.TARGET_WARM_RESET
                || request.function() == TaskManagementFunction.TARGET_COLD_RESET;
        LunMap current = luns.seenBy(request.nexus());
        LogicalUnit lu = current.byLun().get(request.lun());
        if (lu == null && !targetWide) {
            done.accept(TaskManagementResponse.INCORRECT_LOGICAL_UNIT_NUMBER);
            return;
        }
        TaskManager.execute(request, lu, current.units(), done);
    }

    /** A new I_T nexus exists (iSCSI: a session reached full feature phase). */
    public void nexusEstablished(ItNexus nexus) {
        targetPorts.putIfAbsent(nexus.relativeTargetPortId(), nexus.targetPort());
        nexuses.add(nexus);
        SenseReason initial = lostNexuses.remove(nexus)
                ? SenseReason.I_T_NEXUS_LOSS_OCCURRED
                : SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET;
        for (LogicalUnit lu : luns.units()) {
            lu.unitAttentions().register(nexus, initial);
        }
    }

    /** The I_T nexus is gone (session closed or reinstated): abort its tasks (SAM-5 §6.3.4 I_T nexus loss). */
    public void nexusLost(ItNexus nexus) {
        lostNexuses.add(nexus);
        nexuses.remove(nexus);
        luns.views().remove(nexus);
        for (LogicalUnit lu : luns.units()) {
            TaskManager.nexusLost(lu, nexus);
        }
    }

    /** The logical units served now, by ascending LUN. */
    public List<LogicalUnit> logicalUnits() {
        return luns.units();
    }

    /** The logical unit at {@code lun}, or null. */
    public LogicalUnit logicalUnit(int lun) {
        return luns.byLun().get(lun);
    }

    public String targetName() {
        return targetName;
    }

    /** Flush and close every logical unit's backing store. */
    @Override
    public void close() {
        for (LogicalUnit lu : luns.units()) {
            copyTargets.unregister(lu);
            try {
                lu.device().close();
            } catch (RuntimeException e) {
                LOG.warn("closing LUN {} ({}) failed", lu.lun(), lu.device().describe(), e);
            }
        }
    }
}
