package io.jtarget.scsi;

import static io.jtarget.scsi.PersistentReservations.TYPE_WRITE_EXCLUSIVE;
import static io.jtarget.scsi.ReservationCommands.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SRP form of the TransportID seam (SPC-5 §7.6.4.5) through persistent reservations. */
class SrpTransportIdTest {
    static final byte[] PORT_A = HexFormat.of().parseHex("0000000000000000fe800000000000a1");
    static final byte[] PORT_B = HexFormat.of().parseHex("0000000000000000fe800000000000b2");
    static final String TARGET_PORT = "srp-target-port";
    static final ItNexus SRP_A = ItNexus.of(new TransportId.Srp(PORT_A), TARGET_PORT, 1);
    static final ItNexus SRP_B = ItNexus.of(new TransportId.Srp(PORT_B), TARGET_PORT, 1);

    private final Harness h = new Harness();

    @AfterEach
    void release() {
        h.close();
    }

    @Test
    void shouldEncodeParseAndMatchTheSrpForm() {
        byte[] e = new TransportId.Srp(PORT_A).encode();
        assertThat(e).hasSize(24);
        assertThat(e[0]).isEqualTo((byte) 0x04);
        assertThat(java.util.Arrays.copyOfRange(e, 8, 24)).isEqualTo(PORT_A);
        TransportId.Parsed parsed = TransportId.parse(e, 0, e.length);
        assertThat(parsed.length()).isEqualTo(24);
        assertThat(parsed.id()).isEqualTo(new TransportId.Srp(PORT_A));
        assertThat(parsed.id().matches(SRP_A.transportId())).isTrue();
        assertThat(parsed.id().matches(SRP_B.transportId())).isFalse();
        assertThat(TransportId.parse(e, 0, 23)).as("truncated").isNull();
        e[0] = 0x44; // format 01b is not defined for SRP
        assertThat(TransportId.parse(e, 0, e.length)).isNull();
        assertThat(SRP_A.initiatorPort()).isEqualTo("0x0000000000000000fe800000000000a1");
        assertThat(TransportId.Srp.ofName(SRP_A.initiatorPort())).isEqualTo(SRP_A.transportId());
        assertThat(TransportId.Srp.ofName("0x12")).isNull();
    }

    @Test
    void shouldNeverMatchAcrossFabrics() {
        TransportId iscsi = new TransportId.Iscsi(SRP_A.initiatorPort(), null);
        assertThat(iscsi.matches(SRP_A.transportId())).isFalse();
        assertThat(SRP_A.transportId().matches(iscsi)).isFalse();
    }

    @Test
    void shouldReportSrpTransportIdInFullStatusAndRegisterBySpecIPt() {
        h.core.nexusEstablished(SRP_A);
        h.core.nexusEstablished(SRP_B);
        h.run(SRP_A, Cdbs.testUnitReady());
        h.run(SRP_B, Cdbs.testUnitReady());
        byte[] tid = SRP_B.transportId().encode();
        byte[] p = new byte[PROUT_BASIC_LENGTH + 4 + tid.length];
        System.arraycopy(PersistentReservationsTest.params(0, 0x5151, PROUT_SPEC_I_PT), 0, p, 0, PROUT_BASIC_LENGTH);
        Bytes.putU32(p, PROUT_TRANSPORTID_LENGTH_OFFSET, tid.length);
        System.arraycopy(tid, 0, p, PROUT_BASIC_LENGTH + 4, tid.length);
        assertThat(h.run(SRP_A, 0, PersistentReservationsTest.proutCdb(PROUT_REGISTER, 0, p.length), p, p.length)
                .status()).isEqualTo(ScsiStatus.GOOD);
        byte[] params = PersistentReservationsTest.params(0x5151, 0, 0);
        assertThat(h.run(SRP_B, 0, PersistentReservationsTest.proutCdb(PROUT_RESERVE, TYPE_WRITE_EXCLUSIVE,
                params.length), params, params.length).status()).isEqualTo(ScsiStatus.GOOD);

        ScsiResponse r = h.run(SRP_A, PersistentReservationsTest.prin(PRIN_READ_FULL_STATUS, 4096));
        byte[] d = Harness.data(r);
        int off = 8;
        int holders = 0;
        java.util.List<TransportId> seen = new java.util.ArrayList<>();
        while (off < 8 + Bytes.u32(d, 4)) {
            int tidLength = (int) Bytes.u32(d, off + 20);
            assertThat(tidLength).isEqualTo(24);
            seen.add(TransportId.parse(d, off + 24, off + 24 + tidLength).id());
            holders += (d[off + 12] & 1);
            off += 24 + tidLength;
        }
        assertThat(seen).containsExactly(SRP_A.transportId(), SRP_B.transportId());
        assertThat(holders).isEqualTo(1);
    }

    @Test
    void shouldKeepSrpRegistrationsInTheStateFile() throws Exception {
        var regs = java.util.List.of(
                new PersistentReservations.Registration(SRP_A.transportId(), TARGET_PORT, 1, 0xAB),
                new PersistentReservations.Registration(new TransportId.Iscsi("iqn.x:y", "00000000000a"), null, 0, 0xCD));
        var state = new PersistentReservations.State(regs, TYPE_WRITE_EXCLUSIVE, regs.getFirst(), 7, true);
        var back = ReservationStateFormat.decode(ReservationStateFormat.encode(state), "test");
        assertThat(back.registrations()).isEqualTo(regs);
        assertThat(back.holder()).isEqualTo(regs.getFirst());
    }
}
