package io.jtarget.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.scsi.ScsiStatus;
import io.jtarget.testinit.Cdbs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A WRITE whose Expected Data Transfer Length is below the CDB's transfer length (an iSCSI
 * overflow, RFC 7143 §11.4.5.1): whole blocks are written and the residual reported; a partial
 * block cannot be written, so the command is refused as FCP-4 and LIO do.
 */
class WriteResidualTest {
    private final ProtocolHarness h = new ProtocolHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void edtlOfAPartialBlockIsInvalidFieldInCommandInformationUnitAndWritesNothing() {
        h.login("ImmediateData=Yes", "InitialR2T=Yes");
        h.receive(h.command(0x40, Cdbs.write10(0, 1, false), false, true, 200, new byte[200], true));
        IscsiPdu response = h.expect(Opcode.SCSI_RESPONSE);
        try {
            assertThat(response.u8(Bhs.ScsiResponse.STATUS_OFFSET)).isEqualTo(ScsiStatus.CHECK_CONDITION);
            byte[] sense = ProtocolHarness.sense(response);
            assertThat(sense[2] & 0x0f).as("ILLEGAL REQUEST").isEqualTo(0x05);
            assertThat(sense[12] & 0xff).as("ASC: INVALID FIELD IN COMMAND INFORMATION UNIT").isEqualTo(0x0E);
            assertThat(sense[13] & 0xff).as("ASCQ").isEqualTo(0x03);
        } finally {
            response.release();
        }
        assertThat(h.device.writes).as("nothing written").isZero();
    }

    @Test
    void edtlOfWholeBlocksWritesThemAndReportsTheOverflow() {
        h.login("ImmediateData=Yes", "InitialR2T=Yes");
        h.receive(h.command(0x41, Cdbs.write10(0, 2, false), false, true, 512, new byte[512], true));
        IscsiPdu response = h.expect(Opcode.SCSI_RESPONSE);
        try {
            assertThat(response.u8(Bhs.ScsiResponse.STATUS_OFFSET)).isEqualTo(ScsiStatus.GOOD);
            assertThat(response.flags() & Bhs.ScsiResponse.OVERFLOW_BIT).isNotZero();
            assertThat(response.int32(Bhs.ScsiResponse.RESIDUAL_OFFSET)).isEqualTo(512);
        } finally {
            response.release();
        }
        assertThat(h.device.writes).isEqualTo(1);
    }
}
