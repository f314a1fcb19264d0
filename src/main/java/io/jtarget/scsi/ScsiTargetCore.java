package io.jtarget.scsi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private final List<LogicalUnit> logicalUnits;
    private final Map<Integer, LogicalUnit> byLun;
    private final int[] lunNumbers;
    private final SpcCommands spc;
    private final CommandTable commands;
    /** I_T nexuses that were lost; their next establishment reports I_T NEXUS LOSS OCCURRED. */
    private final Set<ItNexus> lostNexuses = ConcurrentHashMap.newKeySet();
    /** The target's ports by relative target port identifier (SAM-5 §4.7: one per iSCSI portal group). */
    private final Map<Integer, String> targetPorts = new java.util.concurrent.ConcurrentSkipListMap<>();
    /** {@link #initialUnitAttention}, bound once so the per-command unit attention check allocates nothing. */
    private final Function<ItNexus, SenseReason> initialUnitAttention = this::initialUnitAttention;

    public ScsiTargetCore(String targetName, List<LogicalUnit> logicalUnits) {
        this.targetName = targetName;
        List<LogicalUnit> sorted = new ArrayList<>(logicalUnits);
        sorted.sort(Comparator.comparingInt(LogicalUnit::lun));
        Map<Integer, LogicalUnit> map = new HashMap<>();
        for (LogicalUnit lu : sorted) {
            if (map.putIfAbsent(lu.lun(), lu) != null) {
                throw new IllegalArgumentException("duplicate LUN " + lu.lun() + " in target " + targetName);
            }
        }
        this.logicalUnits = List.copyOf(sorted);
        this.byLun = Map.copyOf(map);
        this.lunNumbers = sorted.stream().mapToInt(LogicalUnit::lun).toArray();
        this.spc = new SpcCommands(targetName, lunNumbers::clone);
        this.commands = new CommandTable(spc);
        for (LogicalUnit lu : this.logicalUnits) {
            lu.targetPorts(targetPorts);
            lu.taskSet().starter(task -> startWaiting(task, lu));
            CopyTargets.register(lu);
        }
    }

    /** Declare a target port (the fabric calls this for every portal group it serves the target on). */
    public void addTargetPort(int relativeTargetPortId, String name) {
        targetPorts.put(relativeTargetPortId, name);
    }

    /** Execute one command; {@code done} is called exactly once. */
    public void submit(ScsiCommand command, ScsiCompletion done) {
        LogicalUnit lu = byLun.get(command.lun());
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
        LogicalUnit lu = byLun.get(request.lun());
        if (lu == null && !targetWide) {
            done.accept(TaskManagementResponse.INCORRECT_LOGICAL_UNIT_NUMBER);
            return;
        }
        TaskManager.execute(request, lu, logicalUnits, done);
    }

    /** A new I_T nexus exists (iSCSI: a session reached full feature phase). */
    public void nexusEstablished(ItNexus nexus) {
        targetPorts.putIfAbsent(nexus.relativeTargetPortId(), nexus.targetPort());
        SenseReason initial = lostNexuses.remove(nexus)
                ? SenseReason.I_T_NEXUS_LOSS_OCCURRED
                : SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET;
        for (LogicalUnit lu : logicalUnits) {
            lu.unitAttentions().register(nexus, initial);
        }
    }

    /** The I_T nexus is gone (session closed or reinstated): abort its tasks (SAM-5 §6.3.4 I_T nexus loss). */
    public void nexusLost(ItNexus nexus) {
        lostNexuses.add(nexus);
        for (LogicalUnit lu : logicalUnits) {
            TaskManager.nexusLost(lu, nexus);
        }
    }

    public List<LogicalUnit> logicalUnits() {
        return logicalUnits;
    }

    public String targetName() {
        return targetName;
    }

    /** Flush and close every logical unit's backing store. */
    @Override
    public void close() {
        for (LogicalUnit lu : logicalUnits) {
            CopyTargets.unregister(lu);
            try {
                lu.device().close();
            } catch (RuntimeException e) {
                LOG.warn("closing LUN {} ({}) failed", lu.lun(), lu.device().describe(), e);
            }
        }
    }
}
