package io.jtarget.scsi;

/** SPC-5 §4.5.6 Table 52: sense keys. Constants only. */
final class SenseKey {
    static final int NO_SENSE = 0x0;
    static final int NOT_READY = 0x2;
    static final int MEDIUM_ERROR = 0x3;
    static final int HARDWARE_ERROR = 0x4;
    static final int ILLEGAL_REQUEST = 0x5;
    static final int UNIT_ATTENTION = 0x6;
    static final int DATA_PROTECT = 0x7;
    static final int ABORTED_COMMAND = 0xB;
    static final int COPY_ABORTED = 0xA;
    static final int MISCOMPARE = 0xE;

    private SenseKey() {}
}
