package io.jtarget.scsi;

import static io.jtarget.scsi.PersistentReservations.TYPE_EXCLUSIVE_ACCESS;
import static io.jtarget.scsi.PersistentReservations.TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
import static io.jtarget.scsi.PersistentReservations.TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY;
import static io.jtarget.scsi.PersistentReservations.TYPE_WRITE_EXCLUSIVE;
import static io.jtarget.scsi.PersistentReservations.TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS;
import static io.jtarget.scsi.PersistentReservations.TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY;
import static io.jtarget.scsi.ReservationCommands.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistentReservationsTest {
    static final ItNexus NEXUS = Harness.NEXUS;
    static final ItNexus OTHER = Harness.OTHER;
    /** The first initiator port again, through a second target port. */
    static final ItNexus NEXUS_PORT2 = new ItNexus(NEXUS.initiatorPort(), "iqn.2024-01.test:tgt,t,0x0002", 2);

    private final Harness h = new Harness();

    @AfterEach
    void release() {
        h.close();
    }

    // ---- CDB and parameter builders -------------------------------------------------------------

    static byte[] prin(int serviceAction, int allocation) {
        byte[] c = new byte[10];
        c[0] = (byte) ScsiOpcode.PERSISTENT_RESERVE_IN;
        c[1] = (byte) serviceAction;
        Bytes.putU16(c, 7, allocation);
        return c;
    }

    static byte[] proutCdb(int serviceAction, int type, int listLength) {
        byte[] c = new byte[10];
        c[0] = (byte) ScsiOpcode.PERSISTENT_RESERVE_OUT;
        c[1] = (byte) serviceAction;
        c[2] = (byte) type;
        Bytes.putU32(c, 5, listLength);
        return c;
    }

    static byte[] params(long key, long saKey, int flags) {
        byte[] p = new byte[PROUT_BASIC_LENGTH];
        Bytes.putU64(p, 0, key);
        Bytes.putU64(p, 8, saKey);
        p[PROUT_FLAGS_OFFSET] = (byte) flags;
        return p;
    }

    ScsiResponse prout(ItNexus nexus, int serviceAction, int type, long key, long saKey, int flags) {
        byte[] p = params(key, saKey, flags);
        return h.run(nexus, 0, proutCdb(serviceAction, type, p.length), p, p.length);
    }

    ScsiResponse register(ItNexus nexus, long key) {
        return prout(nexus, PROUT_REGISTER, 0, 0, key, 0);
    }

    ScsiResponse reserve(ItNexus nexus, long key, int type) {
        return prout(nexus, PROUT_RESERVE, type, key, 0, 0);
    }

    byte[] prinData(ItNexus nexus, int serviceAction) {
        ScsiResponse r = h.run(nexus, prin(serviceAction, 4096));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        return Harness.data(r);
    }

    List<Long> keys() {
        byte[] d = prinData(NEXUS, PRIN_READ_KEYS);
        List<Long> keys = new ArrayList<>();
        for (int off = 8; off < 8 + Bytes.u32(d, 4); off += 8) {
            keys.add(Bytes.u64(d, off));
        }
        return keys;
    }

    int status(ItNexus nexus, byte[] cdb) {
        return h.run(nexus, cdb).status();
    }

    int read(ItNexus nexus) {
        return status(nexus, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0));
    }

    int write(ItNexus nexus) {
        return h.run(nexus, 0, Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[512], 512).status();
    }

    static int[] sense(ScsiResponse r) {
        return Harness.sense(r);
    }

    static int[] expected(SenseReason reason) {
        return Harness.expected(reason);
    }

    void assertUnitAttention(ItNexus nexus, SenseReason reason) {
        assertThat(sense(h.run(nexus, Cdbs.testUnitReady()))).isEqualTo(expected(reason));
    }

    // ---- PERSISTENT RESERVE IN ------------------------------------------------------------------

    @Test
    void shouldReportNoKeysAndNoReservationWhenNothingRegistered() {
        byte[] keys = prinData(NEXUS, PRIN_READ_KEYS);
        assertThat(keys).hasSize(8);
        assertThat(Bytes.u32(keys, 4)).isZero();
        byte[] res = prinData(NEXUS, PRIN_READ_RESERVATION);
        assertThat(res).hasSize(8);
    }

    @Test
    void shouldRejectServiceActionsBeyondReadFullStatus() {
        for (int sa = 4; sa < 0x20; sa++) {
            assertServiceActionRejected(h.run(prin(sa, 256)));
        }
        for (int sa = PROUT_REGISTER_AND_MOVE + 1; sa < 0x20; sa++) {
            assertServiceActionRejected(prout(NEXUS, sa, 0, 0, 1, 0));
        }
        assertThat(keys()).isEmpty();
    }

    /** The command table's answer to an unknown service action: the field pointer names SERVICE ACTION. */
    private static void assertServiceActionRejected(ScsiResponse r) {
        assertThat(sense(r)).isEqualTo(expected(SenseReason.INVALID_FIELD_IN_CDB));
        byte[] s = r.sense();
        assertThat(s[15] & 0xff).as("SKSV, C/D, BPV, bit").isEqualTo(0x80 | 0x40 | 0x08 | CommandTable.SERVICE_ACTION_BIT);
        assertThat(Bytes.u16(s, 16)).isEqualTo(CommandTable.SERVICE_ACTION_BYTE);
    }

    @Test
    void shouldReportCapabilitiesWithEveryTypeAndNoPersistenceWithoutStore() {
        byte[] d = prinData(NEXUS, PRIN_REPORT_CAPABILITIES);
        assertThat(Bytes.u16(d, 0)).isEqualTo(8);
        assertThat(d[2] & 0xff).isEqualTo(CAP_SIP_C | CAP_ATP_C);
        assertThat(d[3] & CAP_TMV).isEqualTo(CAP_TMV);
        assertThat(d[4] & 0xff).isEqualTo(0xEA);
        assertThat(d[5] & 0xff).isEqualTo(0x01);
    }

    @Test
    void shouldTruncateToAllocationLength() {
        register(NEXUS, 0x1111);
        ScsiResponse r = h.run(prin(PRIN_READ_KEYS, 4));
        assertThat(Harness.data(r)).hasSize(4);
    }

    // ---- REGISTER ------------------------------------------------------------------------------

    @Test
    void shouldRegisterAndBumpGenerationWhenRegisterSucceeds() {
        assertThat(register(NEXUS, 0xAAAA).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(register(OTHER, 0xBBBB).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).containsExactly(0xAAAAL, 0xBBBBL);
        assertThat(Bytes.u32(prinData(NEXUS, PRIN_READ_KEYS), 0)).isEqualTo(2);
    }

    @Test
    void shouldConflictWhenRegisterPresentsWrongKey() {
        register(NEXUS, 0xAAAA);
        assertThat(prout(NEXUS, PROUT_REGISTER, 0, 0x1234, 0xCCCC, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // An unregistered nexus must present key zero.
        assertThat(prout(OTHER, PROUT_REGISTER, 0, 0x1234, 0xCCCC, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(keys()).containsExactly(0xAAAAL);
    }

    @Test
    void shouldChangeAndRemoveKeyWhenRegisteredNexusRegistersAgain() {
        register(NEXUS, 0xAAAA);
        assertThat(prout(NEXUS, PROUT_REGISTER, 0, 0xAAAA, 0xBBBB, 0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).containsExactly(0xBBBBL);
        assertThat(prout(NEXUS, PROUT_REGISTER, 0, 0xBBBB, 0, 0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).isEmpty();
    }

    @Test
    void shouldReplaceKeyWithoutCheckWhenRegisterAndIgnoreExistingKey() {
        register(NEXUS, 0xAAAA);
        assertThat(prout(NEXUS, PROUT_REGISTER_AND_IGNORE_EXISTING_KEY, 0, 0x9999, 0xDDDD, 0).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).containsExactly(0xDDDDL);
        assertThat(prout(OTHER, PROUT_REGISTER_AND_IGNORE_EXISTING_KEY, 0, 0x5555, 0xEEEE, 0).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).containsExactly(0xDDDDL, 0xEEEEL);
    }

    @Test
    void shouldRefuseWrongParameterListLengthAndAptplWithoutStore() {
        byte[] p = new byte[20];
        assertThat(sense(h.run(NEXUS, 0, proutCdb(PROUT_REGISTER, 0, 20), p, 20)))
                .isEqualTo(expected(SenseReason.PARAMETER_LIST_LENGTH_ERROR));
        assertThat(sense(prout(NEXUS, PROUT_REGISTER, 0, 0, 0xAAAA, PROUT_APTPL)))
                .isEqualTo(expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
    }

    @Test
    void shouldRegisterOnEveryTargetPortWhenAllTgPt() {
        h.core.nexusEstablished(NEXUS_PORT2);
        h.run(NEXUS_PORT2, Cdbs.testUnitReady());
        assertThat(prout(NEXUS, PROUT_REGISTER, 0, 0, 0xAAAA, PROUT_ALL_TG_PT).status()).isEqualTo(ScsiStatus.GOOD);
        // The same initiator port through target port 2 is registered with the same key.
        assertThat(prout(NEXUS_PORT2, PROUT_RESERVE, TYPE_WRITE_EXCLUSIVE, 0xAAAA, 0, 0).status()).isEqualTo(ScsiStatus.GOOD);
        byte[] full = prinData(NEXUS, PRIN_READ_FULL_STATUS);
        assertThat(full[8 + 12] & FULL_ALL_TG_PT).isEqualTo(FULL_ALL_TG_PT);
    }

    @Test
    void shouldRegisterOnlyReceivingTargetPortWithoutAllTgPt() {
        h.core.nexusEstablished(NEXUS_PORT2);
        h.run(NEXUS_PORT2, Cdbs.testUnitReady());
        register(NEXUS, 0xAAAA);
        assertThat(reserve(NEXUS_PORT2, 0xAAAA, TYPE_WRITE_EXCLUSIVE).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void shouldRegisterSpecifiedPortsWhenSpecIPt() {
        TransportId otherPort = TransportId.of(OTHER);
        byte[] tid = otherPort.encode();
        byte[] p = new byte[PROUT_BASIC_LENGTH + 4 + tid.length];
        System.arraycopy(params(0, 0x7777, PROUT_SPEC_I_PT), 0, p, 0, PROUT_BASIC_LENGTH);
        Bytes.putU32(p, PROUT_TRANSPORTID_LENGTH_OFFSET, tid.length);
        System.arraycopy(tid, 0, p, PROUT_BASIC_LENGTH + 4, tid.length);
        assertThat(h.run(NEXUS, 0, proutCdb(PROUT_REGISTER, 0, p.length), p, p.length).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).containsExactly(0x7777L, 0x7777L);
        // OTHER is now registered with that key: it may reserve.
        assertThat(reserve(OTHER, 0x7777, TYPE_EXCLUSIVE_ACCESS).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRegisterEveryIsidOfInitiatorWhenSpecIPtNamesOnlyTheName() {
        byte[] tid = new TransportId.Iscsi("iqn.2024-01.test:other", null).encode();
        assertThat(tid[0] & 0xC0).isZero();
        byte[] p = new byte[PROUT_BASIC_LENGTH + 4 + tid.length];
        System.arraycopy(params(0, 0x7777, PROUT_SPEC_I_PT), 0, p, 0, PROUT_BASIC_LENGTH);
        Bytes.putU32(p, PROUT_TRANSPORTID_LENGTH_OFFSET, tid.length);
        System.arraycopy(tid, 0, p, PROUT_BASIC_LENGTH + 4, tid.length);
        h.run(NEXUS, 0, proutCdb(PROUT_REGISTER, 0, p.length), p, p.length);
        ItNexus otherIsid = new ItNexus("iqn.2024-01.test:other,i,0x00000000abcd", OTHER.targetPort(), 1);
        h.core.nexusEstablished(otherIsid);
        h.run(otherIsid, Cdbs.testUnitReady());
        assertThat(reserve(otherIsid, 0x7777, TYPE_WRITE_EXCLUSIVE).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRefuseMalformedTransportId() {
        byte[] tid = TransportId.of(OTHER).encode();
        tid[0] = 0x01; // Fibre Channel protocol identifier
        byte[] p = new byte[PROUT_BASIC_LENGTH + 4 + tid.length];
        System.arraycopy(params(0, 0x7777, PROUT_SPEC_I_PT), 0, p, 0, PROUT_BASIC_LENGTH);
        Bytes.putU32(p, PROUT_TRANSPORTID_LENGTH_OFFSET, tid.length);
        System.arraycopy(tid, 0, p, PROUT_BASIC_LENGTH + 4, tid.length);
        assertThat(sense(h.run(NEXUS, 0, proutCdb(PROUT_REGISTER, 0, p.length), p, p.length)))
                .isEqualTo(expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
        assertThat(keys()).isEmpty();
    }

    @Test
    void shouldParseBothTransportIdFormatsAndRejectBadOnes() {
        byte[] withIsid = TransportId.of(NEXUS).encode();
        assertThat(TransportId.parse(withIsid, 0, withIsid.length).id()).isEqualTo(TransportId.of(NEXUS));
        assertThat(((TransportId.Iscsi) TransportId.of(NEXUS)).isid()).isEqualTo("000000000001");
        byte[] name = new TransportId.Iscsi("iqn.2024-01.test:init", null).encode();
        assertThat(((TransportId.Iscsi) TransportId.parse(name, 0, name.length).id()).isid()).isNull();
        byte[] unterminated = name.clone();
        java.util.Arrays.fill(unterminated, 4, unterminated.length, (byte) 'a');
        assertThat(TransportId.parse(unterminated, 0, unterminated.length)).isNull();
        byte[] badLength = name.clone();
        Bytes.putU16(badLength, 2, 21);
        assertThat(TransportId.parse(badLength, 0, badLength.length)).isNull();
        assertThat(TransportId.parse(name, 0, name.length - 1)).isNull();
        byte[] badIsid = "iqn.x:y,i,0x12zz".getBytes(StandardCharsets.UTF_8);
        byte[] d = new byte[4 + 20];
        d[0] = 0x45;
        Bytes.putU16(d, 2, 20);
        System.arraycopy(badIsid, 0, d, 4, badIsid.length);
        assertThat(TransportId.parse(d, 0, d.length)).isNull();
        // The separator in either case, its last occurrence; the ISID lower-cased; none: the name alone.
        ItNexus upper = new ItNexus("iqn.2024-01.test:a,i,0xb,I,0X0000000000AB", NEXUS.targetPort(), 1);
        assertThat(TransportId.of(upper)).isEqualTo(new TransportId.Iscsi("iqn.2024-01.test:a,i,0xb", "0000000000ab"));
        assertThat(TransportId.of(new ItNexus("iqn.2024-01.test:a", NEXUS.targetPort(), 1)))
                .isEqualTo(new TransportId.Iscsi("iqn.2024-01.test:a", null));
        byte[] upperIsid = "iqn.x:y,I,0X0000000000AB".getBytes(StandardCharsets.UTF_8);
        byte[] e = new byte[4 + 28];
        e[0] = 0x45;
        Bytes.putU16(e, 2, 28);
        System.arraycopy(upperIsid, 0, e, 4, upperIsid.length);
        assertThat(TransportId.parse(e, 0, e.length).id()).isEqualTo(new TransportId.Iscsi("iqn.x:y", "0000000000ab"));
        byte[] noIsid = e.clone();
        noIsid[0] = 0x45;
        byte[] bare = "iqn.x:y".getBytes(StandardCharsets.UTF_8);
        java.util.Arrays.fill(noIsid, 4, noIsid.length, (byte) 0);
        System.arraycopy(bare, 0, noIsid, 4, bare.length);
        assertThat(TransportId.parse(noIsid, 0, noIsid.length)).as("format 01b without an ISID").isNull();
    }

    // ---- RESERVE / RELEASE and the conflict table --------------------------------------------------

    @Test
    void shouldReportReservationWhenReserved() {
        register(NEXUS, 0xAAAA);
        assertThat(reserve(NEXUS, 0xAAAA, TYPE_WRITE_EXCLUSIVE).status()).isEqualTo(ScsiStatus.GOOD);
        byte[] d = prinData(OTHER, PRIN_READ_RESERVATION);
        assertThat(Bytes.u32(d, 4)).isEqualTo(16);
        assertThat(Bytes.u64(d, 8)).isEqualTo(0xAAAA);
        assertThat(d[8 + 13]).isEqualTo((byte) TYPE_WRITE_EXCLUSIVE);
        // The holder asking again is GOOD; another type, or another nexus, conflicts.
        assertThat(reserve(NEXUS, 0xAAAA, TYPE_WRITE_EXCLUSIVE).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(reserve(NEXUS, 0xAAAA, TYPE_EXCLUSIVE_ACCESS).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        register(OTHER, 0xBBBB);
        assertThat(reserve(OTHER, 0xBBBB, TYPE_WRITE_EXCLUSIVE).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void shouldRefuseReserveWithBadTypeOrScopeAndFromUnregisteredNexus() {
        register(NEXUS, 0xAAAA);
        assertThat(sense(reserve(NEXUS, 0xAAAA, 0x2))).isEqualTo(expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(sense(reserve(NEXUS, 0xAAAA, 0x10 | TYPE_WRITE_EXCLUSIVE))).isEqualTo(expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(reserve(OTHER, 0, TYPE_WRITE_EXCLUSIVE).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void shouldLetOthersReadButNotWriteUnderWriteExclusive() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(NEXUS, 0xAAAA, TYPE_WRITE_EXCLUSIVE);
        assertThat(write(NEXUS)).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(OTHER)).isEqualTo(ScsiStatus.GOOD);
        assertThat(write(OTHER)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // SPC-5 Table 67: MODE SELECT/SENSE conflict, INQUIRY, TEST UNIT READY, READ CAPACITY do not.
        assertThat(status(OTHER, Cdbs.modeSense6(0, 0x3F, 0, false, 255))).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(status(OTHER, Cdbs.inquiry(false, 0, 96))).isEqualTo(ScsiStatus.GOOD);
        assertThat(status(OTHER, Cdbs.testUnitReady())).isEqualTo(ScsiStatus.GOOD);
        assertThat(status(OTHER, Cdbs.readCapacity10())).isEqualTo(ScsiStatus.GOOD);
        assertThat(status(OTHER, Cdbs.startStopUnit(false, 0, false, true))).isEqualTo(ScsiStatus.GOOD);
        assertThat(status(OTHER, Cdbs.startStopUnit(false, 0, false, false))).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void shouldBlockReadsAndWritesFromOthersUnderExclusiveAccess() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(NEXUS, 0xAAAA, TYPE_EXCLUSIVE_ACCESS);
        assertThat(read(NEXUS)).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(OTHER)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(write(OTHER)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void shouldLetRegistrantsAccessUnderRegistrantsOnly() {
        ItNexus stranger = new ItNexus("iqn.2024-01.test:stranger,i,0x000000000009", NEXUS.targetPort(), 1);
        h.core.nexusEstablished(stranger);
        h.run(stranger, Cdbs.testUnitReady());
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(NEXUS, 0xAAAA, TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY);
        assertThat(write(OTHER)).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(stranger)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        prout(NEXUS, PROUT_RELEASE, TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, 0xAAAA, 0, 0);
        reserve(NEXUS, 0xAAAA, TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        assertThat(read(stranger)).isEqualTo(ScsiStatus.GOOD);
        assertThat(write(stranger)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // The release raised RESERVATIONS RELEASED for the other registrant (not for the stranger).
        assertUnitAttention(OTHER, SenseReason.RESERVATIONS_RELEASED);
        assertThat(write(OTHER)).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldKeepAllRegistrantsReservationUntilLastRegistrantLeaves() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(NEXUS, 0xAAAA, TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS);
        byte[] d = prinData(NEXUS, PRIN_READ_RESERVATION);
        assertThat(Bytes.u64(d, 8)).as("all-registrants reservations report key zero").isZero();
        assertThat(reserve(OTHER, 0xBBBB, TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS).status()).isEqualTo(ScsiStatus.GOOD);
        prout(NEXUS, PROUT_REGISTER, 0, 0xAAAA, 0, 0);
        assertThat(prinData(OTHER, PRIN_READ_RESERVATION)).hasSize(24);
        prout(OTHER, PROUT_REGISTER, 0, 0xBBBB, 0, 0);
        assertThat(prinData(OTHER, PRIN_READ_RESERVATION)).hasSize(8);
    }

    @Test
    void shouldRefuseReleaseOfOtherTypeAndIgnoreReleaseFromNonHolder() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(NEXUS, 0xAAAA, TYPE_EXCLUSIVE_ACCESS);
        assertThat(sense(prout(NEXUS, PROUT_RELEASE, TYPE_WRITE_EXCLUSIVE, 0xAAAA, 0, 0)))
                .isEqualTo(expected(SenseReason.INVALID_RELEASE_OF_PERSISTENT_RESERVATION));
        assertThat(prout(OTHER, PROUT_RELEASE, TYPE_EXCLUSIVE_ACCESS, 0xBBBB, 0, 0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(prinData(NEXUS, PRIN_READ_RESERVATION)).hasSize(24);
        assertThat(prout(NEXUS, PROUT_RELEASE, TYPE_EXCLUSIVE_ACCESS, 0xAAAA, 0, 0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(prinData(NEXUS, PRIN_READ_RESERVATION)).hasSize(8);
        // Releasing an Exclusive Access reservation raises no unit attention.
        assertThat(status(OTHER, Cdbs.testUnitReady())).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRaiseReservationsReleasedWhenRegistrantsOnlyReservationReleased() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(NEXUS, 0xAAAA, TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        prout(NEXUS, PROUT_RELEASE, TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0xAAAA, 0, 0);
        assertUnitAttention(OTHER, SenseReason.RESERVATIONS_RELEASED);
        assertThat(status(NEXUS, Cdbs.testUnitReady())).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRaiseReservationsReleasedWhenRegistrantsOnlyHolderUnregisters() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(NEXUS, 0xAAAA, TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY);
        prout(NEXUS, PROUT_REGISTER, 0, 0xAAAA, 0, 0);
        assertUnitAttention(OTHER, SenseReason.RESERVATIONS_RELEASED);
        assertThat(prinData(OTHER, PRIN_READ_RESERVATION)).hasSize(8);
    }

    @Test
    void shouldClearEverythingAndRaiseReservationsPreemptedOnClear() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(OTHER, 0xBBBB, TYPE_EXCLUSIVE_ACCESS);
        assertThat(prout(NEXUS, PROUT_CLEAR, 0, 0xAAAA, 0, 0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).isEmpty();
        assertThat(prinData(NEXUS, PRIN_READ_RESERVATION)).hasSize(8);
        assertUnitAttention(OTHER, SenseReason.RESERVATIONS_PREEMPTED);
        assertThat(status(NEXUS, Cdbs.testUnitReady())).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldConflictWhenUnregisteredNexusClearsOrReleases() {
        register(NEXUS, 0xAAAA);
        assertThat(prout(OTHER, PROUT_CLEAR, 0, 0, 0, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(prout(OTHER, PROUT_RELEASE, 1, 0, 0, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(keys()).containsExactly(0xAAAAL);
    }

    // ---- PREEMPT, PREEMPT AND ABORT, REGISTER AND MOVE -----------------------------------------------

    @Test
    void shouldRemoveRegistrationWhenPreemptingWithoutReservation() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        assertThat(prout(NEXUS, PROUT_PREEMPT, 0, 0xAAAA, 0xBBBB, 0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).containsExactly(0xAAAAL);
        assertUnitAttention(OTHER, SenseReason.REGISTRATIONS_PREEMPTED);
        // Naming a key nobody holds is a conflict; naming key zero without a reservation is invalid.
        assertThat(prout(NEXUS, PROUT_PREEMPT, 0, 0xAAAA, 0xCCCC, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(sense(prout(NEXUS, PROUT_PREEMPT, 0, 0xAAAA, 0, 0))).isEqualTo(expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
    }

    @Test
    void shouldTakeOverReservationWhenPreemptingHolder() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(OTHER, 0xBBBB, TYPE_WRITE_EXCLUSIVE);
        assertThat(prout(NEXUS, PROUT_PREEMPT, TYPE_EXCLUSIVE_ACCESS, 0xAAAA, 0xBBBB, 0).status()).isEqualTo(ScsiStatus.GOOD);
        byte[] d = prinData(NEXUS, PRIN_READ_RESERVATION);
        assertThat(Bytes.u64(d, 8)).isEqualTo(0xAAAA);
        assertThat(d[8 + 13]).isEqualTo((byte) TYPE_EXCLUSIVE_ACCESS);
        assertThat(keys()).containsExactly(0xAAAAL);
        assertUnitAttention(OTHER, SenseReason.REGISTRATIONS_PREEMPTED);
        assertThat(read(OTHER)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void shouldRemoveOtherRegistrantsWhenPreemptingAllRegistrantsWithKeyZero() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(OTHER, 0xBBBB, TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS);
        assertThat(prout(NEXUS, PROUT_PREEMPT, TYPE_WRITE_EXCLUSIVE, 0xAAAA, 0, 0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).containsExactly(0xAAAAL);
        byte[] d = prinData(NEXUS, PRIN_READ_RESERVATION);
        assertThat(Bytes.u64(d, 8)).isEqualTo(0xAAAA);
        assertThat(d[8 + 13]).isEqualTo((byte) TYPE_WRITE_EXCLUSIVE);
    }

    @Test
    void shouldAbortPreemptedNexusTasksBeforeCompletingPreemptAndAbort() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(OTHER, 0xBBBB, TYPE_WRITE_EXCLUSIVE);
        h.device.manual = true;
        List<String> events = new ArrayList<>();
        h.submit(OTHER, 0, 500, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0), null, 512,
                r -> events.add(r.aborted() ? "read aborted" : "read " + r.status()));
        byte[] p = params(0xAAAA, 0xBBBB, 0);
        h.submit(NEXUS, 0, 501, proutCdb(PROUT_PREEMPT_AND_ABORT, TYPE_EXCLUSIVE_ACCESS, p.length), p, p.length,
                r -> events.add("preempt " + r.status()));
        assertThat(events).isEmpty();
        h.device.completeNext();
        assertThat(events).containsExactly("read aborted", "preempt 0");
        h.device.manual = false;
        assertThat(keys()).containsExactly(0xAAAAL);
    }

    @Test
    void shouldAbortPreemptedNexusTaskStillWaitingInTheQueue() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(OTHER, 0xBBBB, TYPE_WRITE_EXCLUSIVE);
        h.device.manual = true;
        List<String> events = new ArrayList<>();
        h.submit(OTHER, 0, 700, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0), null, 512,
                r -> events.add(r.aborted() ? "700 aborted" : "700 " + r.status()));
        // Waits behind the running READ: PREEMPT AND ABORT must find it in the queue and end it unstarted.
        h.submit(OTHER, 0, 701, TaskAttribute.ORDERED, Cdbs.rw10(ScsiOpcode.READ_10, 1, 1, 0), null, 512,
                r -> events.add(r.aborted() ? "701 aborted" : "701 " + r.status()));
        assertThat(h.lu.taskSet().waitingCount()).isEqualTo(1);
        byte[] p = params(0xAAAA, 0xBBBB, 0);
        h.submit(NEXUS, 0, 702, TaskAttribute.HEAD_OF_QUEUE, proutCdb(PROUT_PREEMPT_AND_ABORT, TYPE_EXCLUSIVE_ACCESS,
                p.length), p, p.length, r -> events.add("preempt " + r.status()));
        assertThat(events).containsExactly("701 aborted");
        assertThat(h.device.pendingCount()).as("the waiting READ never reached the device").isEqualTo(1);
        h.device.completeNext();
        assertThat(events).containsExactly("701 aborted", "700 aborted", "preempt 0");
        assertThat(h.lu.taskSet().waitingCount()).isZero();
        assertThat(h.lu.taskSet().size()).isZero();
        h.device.manual = false;
        assertThat(keys()).containsExactly(0xAAAAL);
    }

    @Test
    void shouldReportTaskAbortedStatusToPreemptedNexusWhenTasIsSet() {
        h.lu.replaceModeParameters(h.lu.modeParameters(), h.lu.modeParameters().withTaskAbortedStatus(true));
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        h.device.manual = true;
        List<ScsiResponse> got = new ArrayList<>();
        h.submit(OTHER, 0, 600, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0), null, 512, got::add);
        byte[] p = params(0xAAAA, 0xBBBB, 0);
        h.submit(NEXUS, 0, 601, proutCdb(PROUT_PREEMPT_AND_ABORT, TYPE_EXCLUSIVE_ACCESS, p.length), p, p.length, got::add);
        h.device.completeNext();
        assertThat(got).hasSize(2);
        assertThat(got.get(0).aborted()).isFalse();
        assertThat(got.get(0).status()).isEqualTo(ScsiStatus.TASK_ABORTED);
        assertThat(got.get(1).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldMoveReservationToDestinationWhenRegisterAndMove() {
        register(NEXUS, 0xAAAA);
        reserve(NEXUS, 0xAAAA, TYPE_WRITE_EXCLUSIVE);
        byte[] tid = TransportId.of(OTHER).encode();
        byte[] p = new byte[MOVE_HEADER_LENGTH + tid.length];
        Bytes.putU64(p, 0, 0xAAAA);
        Bytes.putU64(p, 8, 0xBBBB);
        p[MOVE_FLAGS_OFFSET] = (byte) MOVE_UNREG;
        Bytes.putU16(p, MOVE_RELATIVE_PORT_OFFSET, 1);
        Bytes.putU32(p, MOVE_TRANSPORTID_LENGTH_OFFSET, tid.length);
        System.arraycopy(tid, 0, p, MOVE_HEADER_LENGTH, tid.length);
        assertThat(h.run(NEXUS, 0, proutCdb(PROUT_REGISTER_AND_MOVE, TYPE_WRITE_EXCLUSIVE, p.length), p, p.length).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(keys()).containsExactly(0xBBBBL);
        assertThat(write(OTHER)).isEqualTo(ScsiStatus.GOOD);
        assertThat(write(NEXUS)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // Unknown relative target port: invalid.
        Bytes.putU64(p, 0, 0xBBBB);
        Bytes.putU64(p, 8, 0xCCCC);
        Bytes.putU16(p, MOVE_RELATIVE_PORT_OFFSET, 9);
        System.arraycopy(TransportId.of(NEXUS).encode(), 0, p, MOVE_HEADER_LENGTH, tid.length);
        assertThat(sense(h.run(OTHER, 0, proutCdb(PROUT_REGISTER_AND_MOVE, TYPE_WRITE_EXCLUSIVE, p.length), p, p.length)))
                .isEqualTo(expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
    }

    @Test
    void shouldReportEveryRegistrationWithTransportIdInFullStatus() {
        register(NEXUS, 0xAAAA);
        register(OTHER, 0xBBBB);
        reserve(OTHER, 0xBBBB, TYPE_EXCLUSIVE_ACCESS);
        byte[] d = prinData(NEXUS, PRIN_READ_FULL_STATUS);
        int off = 8;
        List<String> seen = new ArrayList<>();
        while (off < 8 + Bytes.u32(d, 4)) {
            int tidLength = (int) Bytes.u32(d, off + 20);
            TransportId.Parsed tid = TransportId.parse(d, off + 24, off + 24 + tidLength);
            seen.add(Long.toHexString(Bytes.u64(d, off)) + " holder=" + (d[off + 12] & FULL_R_HOLDER)
                    + " port=" + Bytes.u16(d, off + 18) + " " + tid.id().initiatorName() + "," + ((TransportId.Iscsi) tid.id()).isid());
            off += 24 + tidLength;
        }
        assertThat(seen).containsExactly(
                "aaaa holder=0 port=1 iqn.2024-01.test:init,000000000001",
                "bbbb holder=1 port=1 iqn.2024-01.test:other,000000000002");
    }

    // ---- APTPL ---------------------------------------------------------------------------------

    @Test
    void shouldRestorePersistedRegistrationsAndReservationAfterRestartWhenAptpl(@TempDir Path dir) throws Exception {
        PrStore store = PrStore.forLogicalUnit(dir, "serial-0001");
        h.lu.persistReservationsIn(store);
        assertThat(prinData(NEXUS, PRIN_REPORT_CAPABILITIES)[2] & CAP_PTPL_C).isEqualTo(CAP_PTPL_C);
        assertThat(prout(NEXUS, PROUT_REGISTER, 0, 0, 0xAAAA, PROUT_APTPL).status()).isEqualTo(ScsiStatus.GOOD);
        // APTPL is the value the latest REGISTER carried (SPC-5 §6.17.4): keep it set.
        assertThat(prout(OTHER, PROUT_REGISTER, 0, 0, 0xBBBB, PROUT_APTPL).status()).isEqualTo(ScsiStatus.GOOD);
        reserve(OTHER, 0xBBBB, TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        assertThat(Files.exists(store.file())).isTrue();
        assertThat(Files.list(dir).map(p -> p.getFileName().toString())).containsExactly(store.file().getFileName().toString());

        // "Restart": a fresh logical unit over the same state directory.
        try (Harness restarted = new Harness()) {
            restarted.lu.persistReservationsIn(PrStore.forLogicalUnit(dir, "serial-0001"));
            ScsiResponse keys = restarted.run(NEXUS, prin(PRIN_READ_KEYS, 256));
            byte[] k = Harness.data(keys);
            assertThat(Bytes.u32(k, 4)).isEqualTo(16);
            assertThat(Bytes.u64(k, 8)).isEqualTo(0xAAAA);
            assertThat(Bytes.u64(k, 16)).isEqualTo(0xBBBB);
            byte[] res = Harness.data(restarted.run(NEXUS, prin(PRIN_READ_RESERVATION, 256)));
            assertThat(Bytes.u64(res, 8)).isEqualTo(0xBBBB);
            assertThat(res[8 + 13]).isEqualTo((byte) TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            byte[] cap = Harness.data(restarted.run(NEXUS, prin(PRIN_REPORT_CAPABILITIES, 256)));
            assertThat(cap[3] & CAP_PTPL_A).isEqualTo(CAP_PTPL_A);
            // The restored holder still holds: the other nexus, registered, may write; a stranger may not.
            assertThat(restarted.run(NEXUS, 0, Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[512], 512).status())
                    .isEqualTo(ScsiStatus.GOOD);
            ItNexus stranger = new ItNexus("iqn.2024-01.test:stranger,i,0x000000000009", NEXUS.targetPort(), 1);
            restarted.core.nexusEstablished(stranger);
            assertThat(Harness.sense(restarted.run(stranger, Cdbs.testUnitReady())))
                    .isEqualTo(Harness.expected(SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET));
            assertThat(restarted.run(stranger, 0, Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[512], 512).status())
                    .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
            // Write Exclusive, Registrants Only: reading is anyone's.
            assertThat(restarted.run(stranger, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0)).status()).isEqualTo(ScsiStatus.GOOD);
        }
    }

    @Test
    void shouldForgetPersistedStateWhenRegisteredAgainWithoutAptpl(@TempDir Path dir) throws Exception {
        PrStore store = PrStore.forLogicalUnit(dir, "serial-0001");
        h.lu.persistReservationsIn(store);
        prout(NEXUS, PROUT_REGISTER, 0, 0, 0xAAAA, PROUT_APTPL);
        assertThat(Files.exists(store.file())).isTrue();
        prout(NEXUS, PROUT_REGISTER, 0, 0xAAAA, 0xABAB, 0);
        assertThat(Files.exists(store.file())).isFalse();
    }

    @Test
    void shouldRefuseCorruptStateFile(@TempDir Path dir) throws Exception {
        PrStore store = PrStore.forLogicalUnit(dir, "serial-0001");
        Files.writeString(store.file(), "jtarget-pr 1\nreservation 2 0\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.lu.persistReservationsIn(store))
                .isInstanceOf(java.io.IOException.class);
    }

    // ---- SPC-2 RESERVE / RELEASE -----------------------------------------------------------------

    static byte[] reserve6() {
        byte[] c = new byte[6];
        c[0] = (byte) ScsiOpcode.RESERVE_6;
        return c;
    }

    static byte[] release6() {
        byte[] c = new byte[6];
        c[0] = (byte) ScsiOpcode.RELEASE_6;
        return c;
    }

    static byte[] reserve10(int flags) {
        byte[] c = new byte[10];
        c[0] = (byte) ScsiOpcode.RESERVE_10;
        c[1] = (byte) flags;
        return c;
    }

    @Test
    void shouldConflictOtherNexusCommandsWhileReserved6() {
        assertThat(status(NEXUS, reserve6())).isEqualTo(ScsiStatus.GOOD);
        assertThat(status(NEXUS, reserve6())).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(NEXUS)).isEqualTo(ScsiStatus.GOOD);
        assertThat(status(OTHER, reserve6())).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(status(OTHER, Cdbs.testUnitReady())).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(read(OTHER)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(status(OTHER, prin(PRIN_READ_KEYS, 256))).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(status(OTHER, Cdbs.inquiry(false, 0, 96))).isEqualTo(ScsiStatus.GOOD);
        assertThat(status(OTHER, Cdbs.reportLuns(0, 256))).isEqualTo(ScsiStatus.GOOD);
        // RELEASE from a non-holder is GOOD and changes nothing.
        assertThat(status(OTHER, release6())).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(OTHER)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(status(NEXUS, release6())).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(OTHER)).isEqualTo(ScsiStatus.GOOD);
        assertThat(sense(h.run(reserve10(0x10)))).isEqualTo(expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldReleaseReserve6OnLogicalUnitResetAndNexusLoss() {
        assertThat(status(NEXUS, reserve6())).isEqualTo(ScsiStatus.GOOD);
        h.core.taskManagement(new TaskManagementRequest(NEXUS, 0, TaskManagementFunction.LOGICAL_UNIT_RESET, 0), r -> {});
        h.run(OTHER, Cdbs.testUnitReady()); // the reset's unit attention
        assertThat(status(OTHER, reserve6())).isEqualTo(ScsiStatus.GOOD);
        h.core.nexusLost(OTHER);
        h.run(NEXUS, Cdbs.testUnitReady());
        assertThat(status(NEXUS, reserve6())).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldConflictReserve6WhenPersistentRegistrationsExist() {
        register(OTHER, 0xBBBB);
        assertThat(status(NEXUS, reserve6())).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(status(NEXUS, release6())).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void shouldKeepPersistentReservationsAcrossLogicalUnitReset() {
        register(NEXUS, 0xAAAA);
        reserve(NEXUS, 0xAAAA, TYPE_EXCLUSIVE_ACCESS);
        h.core.taskManagement(new TaskManagementRequest(NEXUS, 0, TaskManagementFunction.LOGICAL_UNIT_RESET, 0), r -> {});
        h.run(NEXUS, Cdbs.testUnitReady());
        assertThat(prinData(NEXUS, PRIN_READ_RESERVATION)).hasSize(24);
    }
}
