package io.jtarget.srp;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The SRP IU layouts against the bytes Linux's ib_srp and ib_srpt put on the wire. */
class SrpIuTest {
    /** What ib_srp sends in the RDMA/CM private data (struct srp_login_req_rdma). */
    static byte[] loginRequest(int flags, int itIuLength) {
        byte[] d = new byte[SrpIu.LOGIN_REQ_RDMA_LENGTH];
        MemorySegment m = MemorySegment.ofArray(d);
        m.set(SrpIu.LONG, 0, 0x1122334455667788L);
        m.set(SrpIu.SHORT, 8, (short) (SrpIu.BUF_FORMAT_DIRECT | SrpIu.BUF_FORMAT_INDIRECT));
        d[10] = (byte) flags;
        d[11] = (byte) SrpIu.LOGIN_REQ;
        m.set(SrpIu.INT, 12, itIuLength);
        for (int i = 0; i < 16; i++) {
            d[16 + i] = (byte) (0xA0 + i);
            d[32 + i] = (byte) (0xB0 + i);
        }
        return d;
    }

    @Test
    void shouldParseTheRdmaCmLoginRequest() {
        SrpIu.LoginRequest r = SrpIu.LoginRequest.parse(loginRequest(SrpIu.MULTICHANNEL_MULTI, 8260));
        assertThat(r.tag()).isEqualTo(0x1122334455667788L);
        assertThat(r.requestedItIuLength()).isEqualTo(8260);
        assertThat(r.bufferFormats()).isEqualTo(6);
        assertThat(r.multiChannelAction()).isEqualTo(SrpIu.MULTICHANNEL_MULTI);
        assertThat(r.initiatorPortId()).startsWith((byte) 0xA0).endsWith((byte) 0xAF);
        assertThat(r.targetPortId()).startsWith((byte) 0xB0).endsWith((byte) 0xBF);
        byte[] iser = loginRequest(0, 64);
        iser[11] = 1;
        assertThat(SrpIu.LoginRequest.parse(iser)).as("not a login request").isNull();
        assertThat(SrpIu.LoginRequest.parse(new byte[20])).as("too short").isNull();
        assertThat(SrpIu.LoginRequest.parse(null)).isNull();
    }

    @Test
    void shouldWriteLoginResponseAndRejectAsLinuxReadsThem() {
        byte[] rsp = SrpIu.loginResponse(7, 128, 4148, 512, SrpIu.RSP_MAINTAINED);
        MemorySegment m = MemorySegment.ofArray(rsp);
        assertThat(rsp).hasSize(52);
        assertThat(rsp[0] & 0xff).isEqualTo(0xC0);
        assertThat(m.get(SrpIu.INT, 4)).as("REQ_LIM_DELTA").isEqualTo(128);
        assertThat(m.get(SrpIu.LONG, 8)).isEqualTo(7);
        assertThat(m.get(SrpIu.INT, 16)).as("MAX_IT_IU_LEN").isEqualTo(4148);
        assertThat(m.get(SrpIu.INT, 20)).as("MAX_TI_IU_LEN").isEqualTo(512);
        assertThat(m.get(SrpIu.SHORT, 24)).isEqualTo((short) 6);
        assertThat(rsp[26]).as("multi-channel result, no immediate data").isEqualTo((byte) 2);
        byte[] rej = SrpIu.loginReject(7, SrpIu.REJ_UNABLE_ASSOCIATE_CHANNEL);
        assertThat(rej).hasSize(32);
        assertThat(rej[0] & 0xff).isEqualTo(0xC2);
        assertThat(MemorySegment.ofArray(rej).get(SrpIu.INT, 4)).isEqualTo(0x00010003);
    }

    /** An SRP_CMD header (struct srp_cmd) followed by {@code descriptors}. */
    static MemorySegment command(int formats, int outCount, int inCount, byte[] descriptors) {
        byte[] d = new byte[SrpIu.CMD_HEADER_LENGTH + descriptors.length];
        d[0] = SrpIu.CMD;
        d[5] = (byte) formats;
        d[6] = (byte) outCount;
        d[7] = (byte) inCount;
        System.arraycopy(descriptors, 0, d, SrpIu.CMD_HEADER_LENGTH, descriptors.length);
        return MemorySegment.ofArray(d);
    }

    static byte[] direct(long address, int key, int length) {
        byte[] d = new byte[16];
        MemorySegment m = MemorySegment.ofArray(d);
        m.set(SrpIu.LONG, 0, address);
        m.set(SrpIu.INT, 8, key);
        m.set(SrpIu.INT, 12, length);
        return d;
    }

    @Test
    void shouldReadDirectAndIndirectDescriptors() {
        MemorySegment one = command(0x01, 0, 1, direct(0x1000, 0x42, 4096));
        assertThat(SrpIu.descriptors(one, SrpIu.FMT_DIRECT, 48, 1))
                .containsExactly(new SrpIu.Descriptor(0x1000, 0x42, 4096));

        byte[] indirect = new byte[20 + 3 * 16];
        MemorySegment m = MemorySegment.ofArray(indirect);
        m.set(SrpIu.LONG, 0, 0xdead0000L); // the table's own address (not fetched: it is in the IU)
        m.set(SrpIu.INT, 12, 3 * 16);
        m.set(SrpIu.INT, 16, 3 * 4096);
        for (int i = 0; i < 3; i++) {
            System.arraycopy(direct(0x10000 * (i + 1), 7, 4096), 0, indirect, 20 + 16 * i, 16);
        }
        MemorySegment cmd = command(0x20, 3, 0, indirect);
        assertThat(SrpIu.descriptors(cmd, SrpIu.FMT_INDIRECT, 48, 3)).hasSize(3)
                .extracting(SrpIu.Descriptor::address).containsExactly(0x10000L, 0x20000L, 0x30000L);
        assertThat(SrpIu.descriptors(cmd, SrpIu.FMT_INDIRECT, 48, 2)).as("table beyond the IU's count: external")
                .isNull();
        assertThat(SrpIu.descriptors(cmd.asSlice(0, 48 + 20 + 16), SrpIu.FMT_INDIRECT, 48, 3)).as("truncated").isNull();
        assertThat(SrpIu.descriptors(cmd, SrpIu.FMT_IMMEDIATE, 48, 1)).as("immediate data has no RDMA descriptor")
                .isNull();
        assertThat(SrpIu.descriptors(cmd, SrpIu.FMT_NONE, 48, 0)).isEmpty();
    }

    @Test
    void shouldWriteResponsesWithSenseResidualsAndCredits() {
        MemorySegment m = MemorySegment.ofArray(new byte[512]);
        byte[] sense = HexFormat.of().parseHex("700005000000000a000000002400000000000000");
        int n = SrpIu.response(m, 99, 3, 0x02, SrpIu.RSP_FLAG_DIUNDER, 0, 512, sense, -1);
        assertThat(n).isEqualTo(36 + sense.length);
        assertThat(SrpIu.u8(m, 0)).isEqualTo(0xC1);
        assertThat(m.get(SrpIu.INT, 4)).as("REQ_LIM_DELTA").isEqualTo(3);
        assertThat(m.get(SrpIu.LONG, 8)).isEqualTo(99);
        assertThat(SrpIu.u8(m, 18)).isEqualTo(SrpIu.RSP_FLAG_DIUNDER | SrpIu.RSP_FLAG_SNSVALID);
        assertThat(SrpIu.u8(m, 19)).isEqualTo(0x02);
        assertThat(m.get(SrpIu.INT, 24)).isEqualTo(512);
        assertThat(m.get(SrpIu.INT, 28)).isEqualTo(sense.length);
        assertThat(m.asSlice(36, sense.length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(sense);

        n = SrpIu.response(m, 5, 1, 0, 0, 0, 0, null, SrpIu.TMF_NOT_SUPPORTED);
        assertThat(n).isEqualTo(40);
        assertThat(SrpIu.u8(m, 18)).isEqualTo(SrpIu.RSP_FLAG_RSPVALID);
        assertThat(m.get(SrpIu.INT, 28)).as("no sense").isZero();
        assertThat(m.get(SrpIu.INT, 32)).isEqualTo(4);
        assertThat(SrpIu.u8(m, 39)).isEqualTo(SrpIu.TMF_NOT_SUPPORTED);
    }

    @Test
    void shouldNameTheTargetPortAfterItsIdentifier() {
        byte[] id = HexFormat.of().parseHex("5254000000000001525400000000000" + "1");
        assertThat(SrpTargetPort.targetPortName(id)).isEqualTo("srp,0x52540000000000015254000000000001");
        assertThat(SrpTargetPort.MAX_IT_IU).as("255 descriptors and an extra CDB fit").isEqualTo(48 + 16 + 20 + 4080);
    }

    /** ib_srp's login when it wants immediate data: SRP_IMMED_REQUESTED and its offset (68) at byte 48. */
    static byte[] loginWithImmediateData(int itIuLength, int offset) {
        byte[] d = loginRequest(SrpIu.IMMEDIATE_REQUESTED | SrpIu.MULTICHANNEL_SINGLE, itIuLength);
        MemorySegment.ofArray(d).set(SrpIu.SHORT, 48, (short) offset);
        return d;
    }

    @Test
    void shouldGrantImmediateDataOnlyWhereTheInitiatorsIusFitOurReceiveBuffers() {
        SrpIu.LoginRequest linux = SrpIu.LoginRequest.parse(loginWithImmediateData(68 + 8192, 68));
        assertThat(linux.immediateDataOffset()).isEqualTo(68);
        assertThat(SrpTargetPort.immediateDataOffset(linux)).as("ib_srp's default max_imm_data").isEqualTo(68);

        byte[] notRequested = loginWithImmediateData(8260, 68);
        notRequested[10] = 0;
        assertThat(SrpIu.LoginRequest.parse(notRequested).immediateDataOffset()).as("the flag is off").isZero();
        assertThat(SrpTargetPort.immediateDataOffset(SrpIu.LoginRequest.parse(loginWithImmediateData(68 + 128 * 1024,
                68)))).as("IUs larger than we post").isZero();
        assertThat(SrpTargetPort.immediateDataOffset(SrpIu.LoginRequest.parse(loginWithImmediateData(8260, 20))))
                .as("an offset inside the SRP_CMD header").isZero();
        assertThat(SrpTargetPort.immediateDataOffset(SrpIu.LoginRequest.parse(loginWithImmediateData(8260, 9000))))
                .as("an offset beyond the IU").isZero();
    }

    @Test
    void shouldFindImmediateDataWhereTheLoginSaidEvenWithAnAdditionalCdb() {
        // ib_srp: the descriptor (a 4-byte length) follows the CDB and any additional CDB; the data
        // is sent by a second SGE, at the fixed offset 68.
        byte[] iu = new byte[68 + 4096];
        MemorySegment m = MemorySegment.ofArray(iu);
        m.set(SrpIu.INT, 48, 4096);
        assertThat(SrpIu.immediateLength(m, 48, 68)).isEqualTo(4096);
        m.set(SrpIu.INT, 64, 512);
        assertThat(SrpIu.immediateLength(m.asSlice(0, 68 + 512), 64, 68)).as("after a 16-byte additional CDB")
                .isEqualTo(512);
        assertThat(SrpIu.immediateLength(m.asSlice(0, 68 + 4000), 48, 68)).as("less data received than described")
                .isEqualTo(-1);
        m.set(SrpIu.INT, 48, -1);
        assertThat(SrpIu.immediateLength(m, 48, 68)).as("a length near 4 GiB").isEqualTo(-1);
        assertThat(SrpIu.immediateLength(m, 66, 68)).as("descriptor overlapping the data").isEqualTo(-1);
    }

    @Test
    void shouldWriteTheTargetLogoutAsLinuxReadsIt() {
        MemorySegment m = MemorySegment.ofArray(new byte[64]);
        m.fill((byte) 0x5a);
        assertThat(SrpIu.targetLogout(m, 0x77, SrpIu.T_LOGOUT_MULTICHANNEL_ACTION)).isEqualTo(16);
        assertThat(SrpIu.u8(m, 0)).as("opcode").isEqualTo(0x80);
        assertThat(SrpIu.u8(m, 1)).as("no solicited notification bits").isZero();
        assertThat(m.get(SrpIu.INT, 4)).as("reason").isEqualTo(4);
        assertThat(m.get(SrpIu.LONG, 8)).isEqualTo(0x77);
    }
}
