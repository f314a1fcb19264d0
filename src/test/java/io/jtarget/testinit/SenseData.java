package io.jtarget.testinit;

import java.util.HexFormat;

/**
 * Sense data (SPC-5 §4.4): fixed format (response codes 70h/71h) or descriptor format
 * (72h/73h), reduced to what tests look at.
 */
public record SenseData(int responseCode, int senseKey, int asc, int ascq, byte[] raw) {

    public static SenseData parse(byte[] sense) throws ProtocolViolationException {
        if (sense.length < 1) {
            throw new ProtocolViolationException("empty sense data");
        }
        int code = sense[0] & 0x7F;
        switch (code) {
            case 0x70, 0x71 -> {
                // SPC-5 §4.4.3: key in byte 2, ASC/ASCQ in bytes 12/13 (present when additional length >= 6).
                if (sense.length < 8) {
                    throw new ProtocolViolationException("fixed-format sense shorter than 8 bytes: " + hex(sense));
                }
                int asc = sense.length > 12 ? sense[12] & 0xFF : 0;
                int ascq = sense.length > 13 ? sense[13] & 0xFF : 0;
                return new SenseData(code, sense[2] & 0x0F, asc, ascq, sense);
            }
            case 0x72, 0x73 -> {
                // SPC-5 §4.4.2: key in byte 1, ASC/ASCQ in bytes 2/3.
                if (sense.length < 8) {
                    throw new ProtocolViolationException("descriptor-format sense shorter than 8 bytes: " + hex(sense));
                }
                return new SenseData(code, sense[1] & 0x0F, sense[2] & 0xFF, sense[3] & 0xFF, sense);
            }
            default -> throw new ProtocolViolationException(String.format(
                    "sense data with unknown response code 0x%02x: %s", code, hex(sense)));
        }
    }

    public boolean is(int key, int asc, int ascq) {
        return senseKey == key && this.asc == asc && this.ascq == ascq;
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Override
    public String toString() {
        return String.format("sense key 0x%X ASC/ASCQ %02Xh/%02Xh", senseKey, asc, ascq);
    }
}
