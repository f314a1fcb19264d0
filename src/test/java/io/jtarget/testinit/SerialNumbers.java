package io.jtarget.testinit;

/**
 * 32-bit serial number arithmetic (RFC 1982), which RFC 7143 §4.2.2.1 prescribes for CmdSN,
 * StatSN, DataSN and friends: comparisons hold across the 2^32 wrap.
 */
public final class SerialNumbers {
    private SerialNumbers() {}

    /** {@code a < b} in serial arithmetic. Undefined (false) for numbers exactly 2^31 apart. */
    public static boolean lessThan(int a, int b) {
        int diff = b - a;
        return diff > 0;
    }

    public static boolean lessOrEqual(int a, int b) {
        return a == b || lessThan(a, b);
    }

    public static boolean greaterThan(int a, int b) {
        return lessThan(b, a);
    }

    /** Unsigned text for messages. */
    public static String str(int sn) {
        return Integer.toUnsignedString(sn);
    }
}
