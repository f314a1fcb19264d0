package io.jtarget.backstore;

/** Human-readable sizes for log lines and device descriptions. */
final class SizeFormat {
    private static final String[] UNITS = {"", "K", "M", "G", "T", "P", "E"};

    private SizeFormat() {}

    /** The largest binary unit that divides {@code bytes} exactly: {@code 512M}, {@code 1536K}, {@code 1000}. */
    static String binary(long bytes) {
        int unit = 0;
        long value = bytes;
        while (value != 0 && value % 1024 == 0 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return value + UNITS[unit];
    }
}
