package io.jtarget.testinit;

import io.jtarget.testinit.IscsiWire.TaskAttribute;

/**
 * One SCSI command to send: LUN, CDB, direction and Expected Data Transfer Length (RFC 7143
 * §11.3). For writes the data is exactly EDTL bytes, which may differ from what the CDB asks
 * for; that is how tests provoke residual overflow/underflow (§11.4.5).
 */
public record ScsiRequest(int lun, byte[] cdb, Direction direction, int expectedLength, byte[] writeData,
        int taskAttribute, boolean immediate) {

    public enum Direction { NONE, READ, WRITE }

    public ScsiRequest {
        if (cdb.length < 6 || cdb.length > 16 + 1020) {
            throw new IllegalArgumentException("CDB length " + cdb.length);
        }
        if (expectedLength < 0) {
            throw new IllegalArgumentException("negative EDTL");
        }
        if (direction == Direction.WRITE && (writeData == null || writeData.length != expectedLength)) {
            throw new IllegalArgumentException("a write carries exactly EDTL bytes");
        }
        if (direction == Direction.NONE && expectedLength != 0) {
            throw new IllegalArgumentException("no data direction means EDTL 0");
        }
    }

    public static ScsiRequest noData(int lun, byte[] cdb) {
        return new ScsiRequest(lun, cdb, Direction.NONE, 0, null, TaskAttribute.SIMPLE, false);
    }

    public static ScsiRequest read(int lun, byte[] cdb, int expectedLength) {
        return new ScsiRequest(lun, cdb, Direction.READ, expectedLength, null, TaskAttribute.SIMPLE, false);
    }

    public static ScsiRequest write(int lun, byte[] cdb, byte[] data) {
        return new ScsiRequest(lun, cdb, Direction.WRITE, data.length, data, TaskAttribute.SIMPLE, false);
    }
}
