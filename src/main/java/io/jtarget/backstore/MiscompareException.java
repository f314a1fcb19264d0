package io.jtarget.backstore;

import java.io.IOException;

/**
 * A {@link BlockDevice#compareAndWrite} whose compare data differed from the medium: nothing was written.
 * Not a failure of the store; the SCSI core answers MISCOMPARE with {@link #offset()} (SBC-4 §5.3).
 */
public final class MiscompareException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long offset;

    /** @param offset the byte offset of the first difference from the start of the compared range */
    public MiscompareException(long offset) {
        super("miscompare at byte offset " + offset);
        this.offset = offset;
    }

    public long offset() {
        return offset;
    }
}
