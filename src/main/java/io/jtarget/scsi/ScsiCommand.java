package io.jtarget.scsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * One SCSI command as a fabric hands it to the core (SAM-5 §5.1 "Execute Command").
 *
 * <p>The fabric has already gathered all Data-Out the initiator will send for this command
 * ({@code dataOut}, at most {@code expectedTransferLength} bytes, possibly fewer when the
 * initiator sent less). The core never releases {@code dataOut}: the fabric does once the
 * command has completed.
 *
 * @param nexus the I_T nexus the command arrived on
 * @param lun the logical unit number, already decoded from the 8-byte LUN field (SAM-5 §4.7.2)
 * @param cdb the command descriptor block, exactly as long as the CDB (6, 10, 12, 16 or more bytes)
 * @param taskTag the fabric's task tag, unique among the nexus' outstanding tasks (iSCSI ITT)
 * @param attribute the task attribute
 * @param direction what the initiator declared it will transfer
 * @param expectedTransferLength the initiator's expected data transfer length in bytes (iSCSI EDTL)
 * @param dataOut data received from the initiator, or null when none
 * @param allocator where the core allocates Data-In buffers (the connection's pooled allocator)
 */
public record ScsiCommand(
        ItNexus nexus,
        int lun,
        byte[] cdb,
        long taskTag,
        TaskAttribute attribute,
        DataDirection direction,
        int expectedTransferLength,
        ByteBuf dataOut,
        ByteBufAllocator allocator) {

    public int opcode() {
        return cdb[0] & 0xff;
    }

    /** Declared direction of the data phase, from the fabric's flags (iSCSI R/W bits). */
    public enum DataDirection {
        NONE,
        READ,
        WRITE,
        BIDIRECTIONAL
    }
}
