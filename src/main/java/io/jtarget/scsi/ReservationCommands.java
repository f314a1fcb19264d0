package io.jtarget.scsi;

import io.jtarget.scsi.PersistentReservations.Answer;
import io.jtarget.scsi.PersistentReservations.Registration;
import io.jtarget.scsi.PersistentReservations.State;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * PERSISTENT RESERVE IN (SPC-5 §6.16), PERSISTENT RESERVE OUT (SPC-5 §6.17) and the SPC-2
 * RESERVE(6)/(10) and RELEASE(6)/(10) commands (SPC-2 §7.21-§7.24, kept by SPC-5 Annex B): CDB
 * and parameter list parsing here, the state machine in {@link PersistentReservations}.
 */
final class ReservationCommands {
    /** PERSISTENT RESERVE IN service actions (SPC-5 Table 186). */
    static final int PRIN_READ_KEYS = 0x00;
    static final int PRIN_READ_RESERVATION = 0x01;
    static final int PRIN_REPORT_CAPABILITIES = 0x02;
    static final int PRIN_READ_FULL_STATUS = 0x03;

    /** PERSISTENT RESERVE OUT service actions (SPC-5 Table 197). */
    static final int PROUT_REGISTER = 0x00;
    static final int PROUT_RESERVE = 0x01;
    static final int PROUT_RELEASE = 0x02;
    static final int PROUT_CLEAR = 0x03;
    static final int PROUT_PREEMPT = 0x04;
    static final int PROUT_PREEMPT_AND_ABORT = 0x05;
    static final int PROUT_REGISTER_AND_IGNORE_EXISTING_KEY = 0x06;
    static final int PROUT_REGISTER_AND_MOVE = 0x07;

    static final int PR_HEADER_LENGTH = 8;
    static final int READ_RESERVATION_DESCRIPTOR_LENGTH = 16;
    static final int FULL_STATUS_DESCRIPTOR_HEADER = 24;

    /** PR OUT basic parameter list (SPC-5 §6.17.4 Table 199). */
    static final int PROUT_BASIC_LENGTH = 24;
    static final int PROUT_FLAGS_OFFSET = 20;
    static final int PROUT_SPEC_I_PT = 0x08;
    static final int PROUT_ALL_TG_PT = 0x04;
    static final int PROUT_APTPL = 0x01;
    static final int PROUT_TRANSPORTID_LENGTH_OFFSET = 24;
    /** REGISTER AND MOVE parameter list (SPC-5 §6.17.5 Table 201). */
    static final int MOVE_FLAGS_OFFSET = 17;
    static final int MOVE_UNREG = 0x02;
    static final int MOVE_APTPL = 0x01;
    static final int MOVE_RELATIVE_PORT_OFFSET = 18;
    static final int MOVE_TRANSPORTID_LENGTH_OFFSET = 20;
    static final int MOVE_HEADER_LENGTH = 24;

    /** REPORT CAPABILITIES (SPC-5 §6.16.4 Table 191). */
    static final int CAPABILITIES_LENGTH = 8;
    static final int CAP_SIP_C = 0x08;
    static final int CAP_ATP_C = 0x04;
    static final int CAP_PTPL_C = 0x01;
    static final int CAP_TMV = 0x80;
    static final int CAP_PTPL_A = 0x01;
    /** PERSISTENT RESERVATION TYPE MASK bits, byte 4 then byte 5. */
    static final int MASK_WR_EX_AR = 0x80;
    static final int MASK_EX_AC_RO = 0x40;
    static final int MASK_WR_EX_RO = 0x20;
    static final int MASK_EX_AC = 0x08;
    static final int MASK_WR_EX = 0x02;
    static final int MASK_EX_AC_AR = 0x01;

    /** READ FULL STATUS descriptor flags (SPC-5 §6.16.5 Table 193). */
    static final int FULL_ALL_TG_PT = 0x02;
    static final int FULL_R_HOLDER = 0x01;

    /** RESERVE(10)/RELEASE(10): 3RDPTY and LONGID (third-party reservations are not supported). */
    static final int RESERVE10_THIRD_PARTY = 0x10;
    static final int RESERVE10_LONGID = 0x02;
    /** RESERVE(6)/RELEASE(6) byte 1: obsolete extent and third-party fields must be zero. */
    static final int RESERVE6_OBSOLETE_MASK = 0x1F;

    private ReservationCommands() {}

    // ---------------------------------------------------------------------------------------------
    // PERSISTENT RESERVE IN

    /** CommandTable routes only the four service actions here; it answers any other itself. */
    static void persistentReserveIn(ScsiTask task) {
        byte[] cdb = task.cdb();
        int allocation = Bytes.u16(cdb, 7);
        task.commandTransferLength(allocation);
        PersistentReservations pr = task.lu().reservations();
        State s = pr.state();
        int serviceAction = cdb[1] & CommandTable.SERVICE_ACTION_MASK;
        byte[] data = switch (serviceAction) {
            case PRIN_READ_KEYS -> readKeys(s);
            case PRIN_READ_RESERVATION -> readReservation(s);
            case PRIN_REPORT_CAPABILITIES -> reportCapabilities(pr, s);
            case PRIN_READ_FULL_STATUS -> readFullStatus(s);
            default -> throw new AssertionError(serviceAction);
        };
        task.goodWithData(data, allocation);
    }

    /** SPC-5 §6.16.2: PRGENERATION, ADDITIONAL LENGTH, then every registered key. */
    static byte[] readKeys(State s) {
        List<Registration> regs = s.registrations();
        byte[] d = new byte[PR_HEADER_LENGTH + 8 * regs.size()];
        Bytes.putU32(d, 0, s.generation());
        Bytes.putU32(d, 4, 8L * regs.size());
        for (int i = 0; i < regs.size(); i++) {
            Bytes.putU64(d, PR_HEADER_LENGTH + 8 * i, regs.get(i).key());
        }
        return d;
    }

    /**
     * SPC-5 §6.16.3: the reservation, if any. For the all-registrants types the RESERVATION KEY is
     * zero (§5.14.10: every registrant holds it).
     */
    static byte[] readReservation(State s) {
        if (!s.reserved()) {
            byte[] d = new byte[PR_HEADER_LENGTH];
            Bytes.putU32(d, 0, s.generation());
            return d;
        }
        byte[] d = new byte[PR_HEADER_LENGTH + READ_RESERVATION_DESCRIPTOR_LENGTH];
        Bytes.putU32(d, 0, s.generation());
        Bytes.putU32(d, 4, READ_RESERVATION_DESCRIPTOR_LENGTH);
        Bytes.putU64(d, PR_HEADER_LENGTH, s.holder() == null ? 0 : s.holder().key());
        d[PR_HEADER_LENGTH + 13] = (byte) ((PersistentReservations.SCOPE_LU << 4) | s.type());
        return d;
    }

    static byte[] reportCapabilities(PersistentReservations pr, State s) {
        byte[] d = new byte[CAPABILITIES_LENGTH];
        Bytes.putU16(d, 0, CAPABILITIES_LENGTH);
        // CRH=0: RESERVE/RELEASE conflict with persistent reservations (SPC-5 Annex B).
        d[2] = (byte) (CAP_SIP_C | CAP_ATP_C | (pr.persistenceCapable() ? CAP_PTPL_C : 0));
        // TMV=1 with ALLOW COMMANDS 000b (SPC-5 Table 192: no information given) and PTPL_A.
        d[3] = (byte) (CAP_TMV | (s.aptpl() ? CAP_PTPL_A : 0));
        d[4] = (byte) (MASK_WR_EX_AR | MASK_EX_AC_RO | MASK_WR_EX_RO | MASK_EX_AC | MASK_WR_EX);
        d[5] = (byte) MASK_EX_AC_AR;
        return d;
    }

    /** SPC-5 §6.16.5: one descriptor per registration, with its TransportID. */
    static byte[] readFullStatus(State s) {
        ByteArrayOutputStream descriptors = new ByteArrayOutputStream();
        for (Registration r : s.registrations()) {
            byte[] tid = r.initiator().encode();
            byte[] d = new byte[FULL_STATUS_DESCRIPTOR_HEADER + tid.length];
            Bytes.putU64(d, 0, r.key());
            boolean holder = s.reserved() && (s.holder() == null ? PersistentReservations.allRegistrants(s.type())
                    : s.holder().equals(r));
            d[12] = (byte) ((r.allTargetPorts() ? FULL_ALL_TG_PT : 0) | (holder ? FULL_R_HOLDER : 0));
            if (holder) {
                d[13] = (byte) ((PersistentReservations.SCOPE_LU << 4) | s.type());
            }
            Bytes.putU16(d, 18, r.allTargetPorts() ? 0 : r.relativeTargetPortId());
            Bytes.putU32(d, 20, tid.length);
            System.arraycopy(tid, 0, d, FULL_STATUS_DESCRIPTOR_HEADER, tid.length);
            descriptors.writeBytes(d);
        }
        byte[] d = new byte[PR_HEADER_LENGTH + descriptors.size()];
        Bytes.putU32(d, 0, s.generation());
        Bytes.putU32(d, 4, descriptors.size());
        System.arraycopy(descriptors.toByteArray(), 0, d, PR_HEADER_LENGTH, descriptors.size());
        return d;
    }

    // ---------------------------------------------------------------------------------------------
    // PERSISTENT RESERVE OUT

    /** CommandTable routes only the eight service actions here; it answers any other itself. */
    static void persistentReserveOut(ScsiTask task) {
        byte[] cdb = task.cdb();
        int serviceAction = cdb[1] & CommandTable.SERVICE_ACTION_MASK;
        int scope = Bytes.u8(cdb, 2) >>> 4;
        int type = cdb[2] & 0x0F;
        long listLength = Bytes.u32(cdb, 5);
        task.commandTransferLength(listLength);
        boolean move = serviceAction == PROUT_REGISTER_AND_MOVE;
        if (listLength < PROUT_BASIC_LENGTH) {
            task.fail(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            return;
        }
        byte[] p = task.parameterList(listLength);
        if (p == null) {
            return;
        }
        long key = Bytes.u64(p, 0);
        long saKey = Bytes.u64(p, 8);
        ItNexus nexus = task.command().nexus();
        PersistentReservations pr = task.lu().reservations();
        if (move) {
            registerAndMove(task, pr, nexus, p, key, saKey);
            return;
        }
        int flags = Bytes.u8(p, PROUT_FLAGS_OFFSET);
        boolean specIPt = (flags & PROUT_SPEC_I_PT) != 0;
        boolean allTgPt = (flags & PROUT_ALL_TG_PT) != 0;
        boolean aptpl = (flags & PROUT_APTPL) != 0;
        boolean registering = serviceAction == PROUT_REGISTER || serviceAction == PROUT_REGISTER_AND_IGNORE_EXISTING_KEY;
        // SPC-5 §6.17.4: without SPEC_I_PT the list is exactly 24 bytes; SPEC_I_PT, ALL_TG_PT and
        // APTPL mean something only to the register service actions.
        if (!(registering && specIPt) && listLength != PROUT_BASIC_LENGTH) {
            task.fail(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            return;
        }
        if (!registering && (specIPt || allTgPt)) {
            task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            return;
        }
        Answer answer;
        switch (serviceAction) {
            case PROUT_REGISTER, PROUT_REGISTER_AND_IGNORE_EXISTING_KEY -> {
                boolean ignore = serviceAction == PROUT_REGISTER_AND_IGNORE_EXISTING_KEY;
                List<TransportId> specified = List.of();
                if (specIPt) {
                    if (ignore) {
                        // SPC-5 §6.17.4: SPEC_I_PT is not allowed with REGISTER AND IGNORE EXISTING KEY.
                        task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                        return;
                    }
                    specified = transportIds(p);
                    if (specified == null) {
                        task.fail(p.length < PROUT_BASIC_LENGTH + 4
                                ? SenseReason.PARAMETER_LIST_LENGTH_ERROR
                                : SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                        return;
                    }
                }
                answer = pr.register(nexus, key, saKey, ignore, specIPt, specified, allTgPt, aptpl);
            }
            case PROUT_RESERVE -> answer = pr.reservePersistent(nexus, key, scope, type);
            case PROUT_RELEASE -> answer = pr.releasePersistent(nexus, key, scope, type);
            case PROUT_CLEAR -> answer = pr.clear(nexus, key);
            case PROUT_PREEMPT, PROUT_PREEMPT_AND_ABORT -> {
                answer = pr.preempt(nexus, key, saKey, scope, type);
                if (serviceAction == PROUT_PREEMPT_AND_ABORT && answer.preempted() != null) {
                    // SPC-5 §5.14.11.4.4: the preempted nexuses' tasks are aborted (as by ABORT TASK SET
                    // from each of them) before the PREEMPT AND ABORT completes.
                    TaskManager.abortForPreempt(task, answer.preempted(), task::good);
                    return;
                }
            }
            default -> throw new AssertionError(serviceAction);
        }
        finish(task, answer);
    }

    /** SPEC_I_PT TransportIDs (SPC-5 §6.17.4): null when the list is malformed. */
    private static List<TransportId> transportIds(byte[] p) {
        if (p.length < PROUT_BASIC_LENGTH + 4) {
            return null;
        }
        long length = Bytes.u32(p, PROUT_TRANSPORTID_LENGTH_OFFSET);
        int start = PROUT_BASIC_LENGTH + 4;
        if (length > p.length - start) {
            return null;
        }
        int end = start + (int) length;
        List<TransportId> ids = new ArrayList<>();
        int off = start;
        while (off < end) {
            TransportId.Parsed parsed = TransportId.parse(p, off, end);
            if (parsed == null) {
                return null;
            }
            ids.add(parsed.id());
            off += parsed.length();
        }
        return ids;
    }

    private static void registerAndMove(ScsiTask task, PersistentReservations pr, ItNexus nexus, byte[] p, long key,
            long saKey) {
        long tidLength = Bytes.u32(p, MOVE_TRANSPORTID_LENGTH_OFFSET);
        if (tidLength > p.length - MOVE_HEADER_LENGTH) {
            task.fail(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            return;
        }
        TransportId.Parsed destination = TransportId.parse(p, MOVE_HEADER_LENGTH, MOVE_HEADER_LENGTH + (int) tidLength);
        if (destination == null) {
            task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            return;
        }
        int flags = Bytes.u8(p, MOVE_FLAGS_OFFSET);
        finish(task, pr.registerAndMove(nexus, key, saKey, destination.id(), Bytes.u16(p, MOVE_RELATIVE_PORT_OFFSET),
                (flags & MOVE_UNREG) != 0, (flags & MOVE_APTPL) != 0));
    }

    private static void finish(ScsiTask task, Answer answer) {
        if (answer.conflict()) {
            task.reservationConflict();
        } else if (answer.error() != null) {
            task.fail(answer.error());
        } else {
            task.good();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // RESERVE(6)/(10), RELEASE(6)/(10)

    static void reserve(ScsiTask task, boolean tenByte) {
        if (!legacyCdbValid(task.cdb(), tenByte)) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        finish(task, task.lu().reservations().reserve(task.command().nexus()));
    }

    static void release(ScsiTask task, boolean tenByte) {
        if (!legacyCdbValid(task.cdb(), tenByte)) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        finish(task, task.lu().reservations().release(task.command().nexus()));
    }

    /** Third-party reservations and the obsolete extent reservations are not supported. */
    private static boolean legacyCdbValid(byte[] cdb, boolean tenByte) {
        if (tenByte) {
            return (cdb[1] & (RESERVE10_THIRD_PARTY | RESERVE10_LONGID)) == 0;
        }
        return (cdb[1] & RESERVE6_OBSOLETE_MASK) == 0;
    }
}
