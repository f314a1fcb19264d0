package io.jtarget.testinit;

import java.io.IOException;

/** Nothing (or not the awaited PDU) arrived from the target in time. */
public class TargetTimeoutException extends IOException {
    public TargetTimeoutException(String message) {
        super(message);
    }
}
