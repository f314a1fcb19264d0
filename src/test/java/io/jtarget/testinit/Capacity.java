package io.jtarget.testinit;

/** READ CAPACITY (16) parameter data (SBC-4 §5.20). */
public record Capacity(long lastLba, int blockSize) {

    public long blockCount() {
        return lastLba + 1;
    }

    public long bytes() {
        return blockCount() * blockSize;
    }

    public static Capacity fromReadCapacity16(byte[] data) throws ProtocolViolationException {
        if (data.length < 12) {
            throw new ProtocolViolationException("READ CAPACITY (16) data shorter than 12 bytes: " + data.length);
        }
        return new Capacity(Bytes.getLong(data, 0), Bytes.getInt(data, 8));
    }
}
