package io.jtarget.scsi;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reservation state of one logical unit: persistent reservations (SPC-5 §5.14, registrations
 * per I_T nexus, at most one reservation of scope LU_SCOPE) and the SPC-2 RESERVE/RELEASE
 * reservation SPC-5 Annex B keeps.
 *
 * <p>The state is an immutable {@link State} behind a volatile field: the reservation check every
 * command makes ({@link #conflicts}) reads it without a lock; the rare PERSISTENT RESERVE OUT,
 * RESERVE and RELEASE commands serialise on this object, persist the new state first when APTPL is
 * in force (SPC-5 §5.14.5), then publish it.
 */
final class PersistentReservations {
    private static final Logger LOG = LoggerFactory.getLogger(PersistentReservations.class);

    /** PERSISTENT RESERVE OUT TYPE codes (SPC-5 §6.17.3 Table 198). */
    static final int TYPE_WRITE_EXCLUSIVE = 0x1;
    static final int TYPE_EXCLUSIVE_ACCESS = 0x3;
    static final int TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 0x5;
    static final int TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY = 0x6;
    static final int TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS = 0x7;
    static final int TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS = 0x8;
    static final int SCOPE_LU = 0x0;

    /**
     * One registration. {@code isid == null} matches every ISID of the initiator (a SPEC_I_PT or
     * REGISTER AND MOVE TransportID in format 00b); {@code targetPort == null} every target port
     * (ALL_TG_PT=1).
     */
    record Registration(TransportId initiator, String targetPort, int relativeTargetPortId, long key) {
        /**
         * True when it is the registration of an I_T nexus from initiator port {@code port} (as
         * {@link TransportId#of} gives it) to target port {@code nexusTargetPort}.
         */
        boolean matches(TransportId port, String nexusTargetPort) {
            return initiator.matches(port) && (targetPort == null || targetPort.equals(nexusTargetPort));
        }

        boolean sameIdentity(Registration other) {
            return initiator.equals(other.initiator) && java.util.Objects.equals(targetPort, other.targetPort);
        }

        boolean allTargetPorts() {
            return targetPort == null;
        }

        Registration withKey(long newKey) {
            return new Registration(initiator, targetPort, relativeTargetPortId, newKey);
        }
    }

    /**
     * @param type 0 when there is no persistent reservation, else a TYPE code
     * @param holder the holding registration for types other than all-registrants, always one of
     *     {@code registrations}; null otherwise
     */
    record State(List<Registration> registrations, int type, Registration holder, long generation, boolean aptpl) {
        static final State EMPTY = new State(List.of(), 0, null, 0, false);

        State {
            registrations = List.copyOf(registrations);
        }

        boolean reserved() {
            return type != 0;
        }

        Registration find(ItNexus nexus) {
            return find(TransportId.of(nexus), nexus.targetPort());
        }

        private Registration find(TransportId port, String targetPort) {
            for (Registration r : registrations) {
                if (r.matches(port, targetPort)) {
                    return r;
                }
            }
            return null;
        }

        /** SPC-5 §5.14.10: every registrant holds an all-registrants reservation. */
        boolean isHolder(ItNexus nexus) {
            if (!reserved()) {
                return false;
            }
            TransportId port = TransportId.of(nexus);
            if (allRegistrants(type)) {
                return find(port, nexus.targetPort()) != null;
            }
            return holder != null && holder.matches(port, nexus.targetPort());
        }

        /**
         * True when the reservation restricts none of the nexus' commands: it holds the reservation,
         * or it is registered and the type is registrants-only or all-registrants (SPC-5 Table 67).
         * Since the holder is one of the registrations, one lookup decides those types.
         */
        boolean unrestricted(ItNexus nexus) {
            TransportId port = TransportId.of(nexus);
            if (registrantsOnly(type) || allRegistrants(type)) {
                return find(port, nexus.targetPort()) != null;
            }
            return holder != null && holder.matches(port, nexus.targetPort());
        }
    }

    /** What a PERSISTENT RESERVE OUT / RESERVE / RELEASE came to. */
    record Answer(boolean conflict, SenseReason error, Predicate<ItNexus> preempted) {
        static final Answer GOOD = new Answer(false, null, null);
        static final Answer CONFLICT = new Answer(true, null, null);

        static Answer error(SenseReason reason) {
            return new Answer(false, reason, null);
        }
    }

    private final UnitAttentions unitAttentions;
    private volatile State state = State.EMPTY;
    /** The I_T nexus holding an SPC-2 RESERVE reservation, or null. */
    private volatile ItNexus reservedBy;
    private ReservationStore store; // guarded by this
    private IntFunction<String> targetPorts = id -> null;

    PersistentReservations(UnitAttentions unitAttentions) {
        this.unitAttentions = unitAttentions;
    }

    static boolean validType(int type) {
        return switch (type) {
            case TYPE_WRITE_EXCLUSIVE, TYPE_EXCLUSIVE_ACCESS, TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY,
                    TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS,
                    TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS -> true;
            default -> false;
        };
    }

    static boolean allRegistrants(int type) {
        return type == TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS || type == TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    private static boolean registrantsOnly(int type) {
        return type == TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY || type == TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY;
    }

    private static boolean writeExclusive(int type) {
        return type == TYPE_WRITE_EXCLUSIVE
                || type == TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY
                || type == TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS;
    }

    State state() {
        return state;
    }

    /** Where APTPL state lives; loads what a previous run persisted. */
    synchronized void attachStore(ReservationStore newStore) throws IOException {
        byte[] saved = newStore.load();
        State loaded = saved == null ? null : ReservationStateFormat.decode(saved, newStore);
        this.store = newStore;
        if (loaded != null) {
            state = loaded;
            LOG.info("restored {} persistent reservation registration(s) from {}", loaded.registrations().size(), newStore);
        }
    }

    synchronized boolean persistenceCapable() {
        return store != null;
    }

    /** How REGISTER AND MOVE turns a RELATIVE TARGET PORT IDENTIFIER into a target port name. */
    void targetPorts(IntFunction<String> lookup) {
        this.targetPorts = lookup;
    }

    /**
     * The pipeline's reservation check (SAM-5 §5.3 RESERVATION CONFLICT status): true when the command
     * must end with RESERVATION CONFLICT status.
     */
    boolean conflicts(ItNexus nexus, byte[] cdb) {
        ItNexus spc2 = reservedBy;
        if (spc2 != null && !spc2.equals(nexus)) {
            return !ReservationTable.allowedUnderReserve(cdb);
        }
        State s = state;
        if (!s.reserved()) {
            return false;
        }
        ReservationTable.Access access = ReservationTable.access(cdb);
        if (access == ReservationTable.Access.ALLOWED || s.unrestricted(nexus)) {
            return false;
        }
        return !(access == ReservationTable.Access.READ && writeExclusive(s.type));
    }

    // ---------------------------------------------------------------------------------------------
    // SPC-2 RESERVE / RELEASE (SPC-5 Annex B). CRH=0: they conflict with any persistent reservation
    // state (SPC-5 §5.14.3: "RESERVE and RELEASE ... shall be RESERVATION CONFLICT" when
    // registrations or a persistent reservation exist).

    synchronized Answer reserve(ItNexus nexus) {
        State s = state;
        if (s.reserved() || !s.registrations().isEmpty()) {
            return Answer.CONFLICT;
        }
        if (reservedBy != null && !reservedBy.equals(nexus)) {
            return Answer.CONFLICT;
        }
        reservedBy = nexus;
        return Answer.GOOD;
    }

    synchronized Answer release(ItNexus nexus) {
        State s = state;
        if (s.reserved() || !s.registrations().isEmpty()) {
            return Answer.CONFLICT;
        }
        // SPC-2 §7.23: a RELEASE from another I_T nexus is GOOD and changes nothing.
        if (nexus.equals(reservedBy)) {
            reservedBy = null;
        }
        return Answer.GOOD;
    }

    /** SPC-2 §5.5.1: a reset and the loss of the holding I_T nexus release the reservation. */
    synchronized void releaseSpc2(Predicate<ItNexus> which) {
        if (reservedBy != null && which.test(reservedBy)) {
            reservedBy = null;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // PERSISTENT RESERVE OUT (SPC-5 §6.17, §5.14.7-§5.14.11)

    /**
     * The checks every service action but REGISTER AND IGNORE EXISTING KEY shares (SPC-5 §5.14.7
     * Table 55 and §6.17.2): an unregistered nexus may only register (with RESERVATION KEY zero), a
     * registered one must present its key.
     */
    private static boolean keyMismatch(State s, ItNexus nexus, long reservationKey, boolean registering) {
        Registration own = s.find(nexus);
        if (own == null) {
            return !registering || reservationKey != 0;
        }
        return own.key() != reservationKey;
    }

    /**
     * REGISTER (SPC-5 §5.14.7.2) and REGISTER AND IGNORE EXISTING KEY (§5.14.7.3).
     *
     * @param specified the SPEC_I_PT TransportIDs (empty when SPEC_I_PT=0)
     */
    synchronized Answer register(ItNexus nexus, long reservationKey, long serviceActionKey, boolean ignoreExisting,
            boolean specIPt, List<TransportId> specified, boolean allTgPt, boolean aptpl) {
        State s = state;
        if (!ignoreExisting && keyMismatch(s, nexus, reservationKey, true)) {
            return Answer.CONFLICT;
        }
        if (aptpl && store == null) {
            return Answer.error(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        Registration own = s.find(nexus);
        if (own == null) {
            if (serviceActionKey == 0) {
                // Unregistered nexus unregistering: nothing to do, GOOD (SPC-5 §5.14.7.2).
                return Answer.GOOD;
            }
            String targetPort = allTgPt ? null : nexus.targetPort();
            int relative = allTgPt ? 0 : nexus.relativeTargetPortId();
            List<Registration> regs = new ArrayList<>(s.registrations());
            regs.add(new Registration(TransportId.of(nexus), targetPort, relative, serviceActionKey));
            if (specIPt) {
                for (TransportId id : specified) {
                    Registration r = new Registration(id, targetPort, relative, serviceActionKey);
                    for (Registration existing : regs) {
                        // A port named twice, or one already registered (SPC-5 §6.17.4).
                        if (existing.sameIdentity(r)) {
                            return Answer.error(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                        }
                    }
                    regs.add(r);
                }
            }
            return publish(new State(regs, s.type(), s.holder(), s.generation() + 1, aptpl));
        }
        if (specIPt) {
            // SPC-5 §6.17.4: SPEC_I_PT=1 from a registered I_T nexus.
            return Answer.error(SenseReason.INVALID_FIELD_IN_CDB);
        }
        List<Registration> regs = new ArrayList<>(s.registrations());
        int index = regs.indexOf(own);
        int type = s.type();
        Registration holder = s.holder();
        if (serviceActionKey != 0) {
            Registration changed = own.withKey(serviceActionKey);
            regs.set(index, changed);
            if (own.equals(holder)) {
                holder = changed;
            }
            return publish(new State(regs, type, holder, s.generation() + 1, aptpl));
        }
        // Unregister (SPC-5 §5.14.11.2.3): a holder's reservation goes with its registration.
        regs.remove(index);
        List<Registration> releasedFor = List.of();
        if (s.reserved()) {
            if (allRegistrants(type)) {
                if (regs.isEmpty()) {
                    type = 0;
                }
            } else if (own.equals(holder)) {
                if (registrantsOnly(type)) {
                    releasedFor = regs; // SPC-5 §5.14.11.2.2: RESERVATIONS RELEASED for the others
                }
                type = 0;
                holder = null;
            }
        }
        Answer answer = publish(new State(regs, type, holder, s.generation() + 1, aptpl));
        if (answer == Answer.GOOD) {
            raise(releasedFor, nexus, SenseReason.RESERVATIONS_RELEASED);
        }
        return answer;
    }

    /** RESERVE (SPC-5 §5.14.9). */
    synchronized Answer reservePersistent(ItNexus nexus, long reservationKey, int scope, int type) {
        State s = state;
        if (keyMismatch(s, nexus, reservationKey, false)) {
            return Answer.CONFLICT;
        }
        if (scope != SCOPE_LU || !validType(type)) {
            return Answer.error(SenseReason.INVALID_FIELD_IN_CDB);
        }
        if (s.reserved()) {
            // The holder asking again for the same reservation is GOOD; anything else conflicts.
            return s.isHolder(nexus) && s.type() == type ? Answer.GOOD : Answer.CONFLICT;
        }
        Registration holder = allRegistrants(type) ? null : s.find(nexus);
        return publish(new State(s.registrations(), type, holder, s.generation(), s.aptpl()));
    }

    /** RELEASE (SPC-5 §5.14.11.2.2). */
    synchronized Answer releasePersistent(ItNexus nexus, long reservationKey, int scope, int type) {
        State s = state;
        if (keyMismatch(s, nexus, reservationKey, false)) {
            return Answer.CONFLICT;
        }
        if (!s.reserved() || !s.isHolder(nexus)) {
            return Answer.GOOD;
        }
        if (scope != SCOPE_LU || type != s.type()) {
            return Answer.error(SenseReason.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
        }
        Answer answer = publish(new State(s.registrations(), 0, null, s.generation(), s.aptpl()));
        if (answer == Answer.GOOD && (registrantsOnly(s.type()) || allRegistrants(s.type()))) {
            raise(s.registrations(), nexus, SenseReason.RESERVATIONS_RELEASED);
        }
        return answer;
    }

    /** CLEAR (SPC-5 §5.14.11.2.6): every registration and the reservation go. */
    synchronized Answer clear(ItNexus nexus, long reservationKey) {
        State s = state;
        if (keyMismatch(s, nexus, reservationKey, false)) {
            return Answer.CONFLICT;
        }
        Answer answer = publish(new State(List.of(), 0, null, s.generation() + 1, s.aptpl()));
        if (answer == Answer.GOOD) {
            raise(s.registrations(), nexus, SenseReason.RESERVATIONS_PREEMPTED);
        }
        return answer;
    }

    /**
     * PREEMPT and PREEMPT AND ABORT (SPC-5 §5.14.11.4). The answer's {@code preempted} names the I_T
     * nexuses whose registrations were removed, whose tasks PREEMPT AND ABORT aborts.
     */
    synchronized Answer preempt(ItNexus nexus, long reservationKey, long serviceActionKey, int scope, int type) {
        State s = state;
        if (keyMismatch(s, nexus, reservationKey, false)) {
            return Answer.CONFLICT;
        }
        Registration own = s.find(nexus);
        boolean holderPreempted = s.reserved()
                && (allRegistrants(s.type()) ? serviceActionKey == 0 : s.holder().key() == serviceActionKey);
        if (!holderPreempted && serviceActionKey == 0) {
            return Answer.error(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        if (holderPreempted && (scope != SCOPE_LU || !validType(type))) {
            return Answer.error(SenseReason.INVALID_FIELD_IN_CDB);
        }
        List<Registration> kept = new ArrayList<>();
        List<Registration> removed = new ArrayList<>();
        for (Registration r : s.registrations()) {
            boolean victim = r != own && (serviceActionKey == 0 ? holderPreempted : r.key() == serviceActionKey);
            (victim ? removed : kept).add(r);
        }
        if (!holderPreempted) {
            // No reservation, or SERVICE ACTION RESERVATION KEY names no holder: registrations only
            // (SPC-5 §5.14.11.4.3); naming nobody is RESERVATION CONFLICT.
            if (removed.isEmpty()) {
                return Answer.CONFLICT;
            }
            // The holder (if any) kept its registration: its key is not the one named.
            Answer answer = publish(new State(kept, s.type(), s.holder(), s.generation() + 1, s.aptpl()));
            return afterPreempt(answer, removed, List.of(), nexus);
        }
        // The holder is preempted: the preempting nexus now holds a reservation of the new type.
        Registration holder = allRegistrants(type) ? null : own;
        boolean changed = s.type() != type;
        List<Registration> releasedFor = changed ? kept : List.of();
        Answer answer = publish(new State(kept, type, holder, s.generation() + 1, s.aptpl()));
        return afterPreempt(answer, removed, releasedFor, nexus);
    }

    private Answer afterPreempt(Answer answer, List<Registration> removed, List<Registration> releasedFor, ItNexus by) {
        if (answer != Answer.GOOD) {
            return answer;
        }
        raise(removed, by, SenseReason.REGISTRATIONS_PREEMPTED);
        raise(releasedFor, by, SenseReason.RESERVATIONS_RELEASED);
        List<Registration> victims = List.copyOf(removed);
        return new Answer(false, null, n -> !n.equals(by) && matchesAny(victims, n));
    }

    private static boolean matchesAny(List<Registration> regs, ItNexus nexus) {
        TransportId port = TransportId.of(nexus);
        for (Registration r : regs) {
            if (r.matches(port, nexus.targetPort())) {
                return true;
            }
        }
        return false;
    }

    /** REGISTER AND MOVE (SPC-5 §5.14.8). */
    synchronized Answer registerAndMove(ItNexus nexus, long reservationKey, long serviceActionKey, TransportId destination,
            int relativeTargetPortId, boolean unregister, boolean aptpl) {
        State s = state;
        if (keyMismatch(s, nexus, reservationKey, false)) {
            return Answer.CONFLICT;
        }
        if (!s.reserved() || allRegistrants(s.type()) || !s.isHolder(nexus)) {
            return Answer.CONFLICT;
        }
        if (serviceActionKey == 0) {
            return Answer.error(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        if (aptpl && store == null) {
            return Answer.error(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        String targetPort = targetPorts.apply(relativeTargetPortId);
        if (targetPort == null) {
            return Answer.error(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        Registration own = s.find(nexus);
        TransportId self = TransportId.of(nexus);
        if (destination.matches(self) && targetPort.equals(nexus.targetPort())) {
            return Answer.error(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        List<Registration> regs = new ArrayList<>(s.registrations());
        Registration dest = null;
        for (Registration r : regs) {
            if (r.initiator().equals(destination) && targetPort.equals(r.targetPort())) {
                dest = r;
            }
        }
        if (dest == null) {
            dest = new Registration(destination, targetPort, relativeTargetPortId, serviceActionKey);
            regs.add(dest);
        }
        if (unregister) {
            regs.remove(own);
        }
        return publish(new State(regs, s.type(), dest, s.generation() + 1, aptpl));
    }

    /**
     * Persist (when APTPL is or was in force) and then publish. When persisting fails nothing
     * changes and the command ends with a hardware error.
     */
    private Answer publish(State next) {
        try {
            if (store != null && (next.aptpl() || state.aptpl())) {
                if (next.aptpl()) {
                    store.save(ReservationStateFormat.encode(next));
                } else {
                    // SPC-5 §5.14.5: APTPL=0 — nothing is to survive a power loss.
                    store.delete();
                }
            }
        } catch (IOException e) {
            LOG.error("persisting reservation state to {} failed; the change is refused", store, e);
            return Answer.error(SenseReason.INTERNAL_TARGET_FAILURE);
        }
        state = next;
        return Answer.GOOD;
    }

    /** Raise {@code reason} on every known I_T nexus matching one of {@code regs}, except {@code except}. */
    private void raise(List<Registration> regs, ItNexus except, SenseReason reason) {
        if (regs.isEmpty()) {
            return;
        }
        for (ItNexus n : unitAttentions.nexuses()) {
            if (!n.equals(except) && matchesAny(regs, n)) {
                unitAttentions.raise(n, reason);
            }
        }
    }
}
